"""The desk's other calls: how many wait, and a list to put any of them in the wrap-up."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSizePolicy, QWidget

from ..core.desk import CallDesk, DeskCall
from . import shortcuts as keys
from .widgets import ValueLabel


def call_line(call: DeskCall) -> str:
    """One call in a few words: who, and where it stands."""
    arrow = "←" if call.direction == "inbound" else "→"
    return f"{arrow} {call.who} — {call.status()}"


class CallsBar(QWidget):
    """ "1 call to wrap up", and every open call to switch the wrap-up to (by key too).

    Signals:
        callChosen(str): the rep picked this call (its id) for the wrap-up.
    """

    callChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = ValueLabel("Calls waiting", self, announce=True, object_name="calls-summary")
        self.summary.setWordWrap(True)
        self.calls = QComboBox(self)
        self.calls.setAccessibleName("Calls")
        self.summary.setBuddy(self.calls)  # a screen reader names the list by it
        self.set_keys(keys.KeyMap())
        self.calls.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.calls.setMinimumContentsLength(12)
        self.calls.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.summary)
        row.addWidget(self.calls, 1)
        self.calls.activated.connect(self._on_calls_activated)
        self.hide()

    def set_keys(self, keymap: keys.KeyMap) -> None:
        hint = (
            f"The call in the wrap-up; switch with {keymap.label(keys.NEXT_CALL)} and "
            f"{keymap.label(keys.PREVIOUS_CALL)}"
        )
        self.calls.setToolTip(hint)
        self.calls.setAccessibleDescription(hint)

    def show_desk(self, desk: CallDesk) -> None:
        """The desk's open calls, the one in the wrap-up selected; shown with two or more."""
        calls = desk.open_calls
        summary = desk.summary() or (f"{len(calls)} calls open" if len(calls) > 1 else "")
        self.summary.setText(summary or "")
        self.summary.setVisible(bool(summary))
        self.calls.blockSignals(True)
        try:
            self.calls.clear()
            for call in calls:
                self.calls.addItem(call_line(call), call.id)
            index = self.calls.findData(desk.current_id)
            if index >= 0:
                self.calls.setCurrentIndex(index)
        finally:
            self.calls.blockSignals(False)
        self.setVisible(len(calls) > 1)

    def _on_calls_activated(self, index: int) -> None:
        call_id = self.calls.itemData(index)
        if isinstance(call_id, str):
            self.callChosen.emit(call_id)
