"""Tags as chips: type a tag, finish it with Enter or a comma, pick suggestions as you type.

Suggestions are the tags the rep used lately, then the org's (seen on the prospect and on recent
calls). Backspace in the empty box takes the last chip back into the box for editing; each chip's
× removes it. Text still in the box when the call is logged counts as tags too, so typing
"budget, follow-up" and logging loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCompleter,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from .text import one_line, set_tooltip


class FlowLayout(QLayout):
    """Items left to right, wrapping onto the next line when the row is full."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def insert_widget(self, index: int, widget: QWidget) -> None:
        self.addWidget(widget)  # appended by Qt (and parented); move it where it belongs
        self._items.insert(index, self._items.pop())

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        gap = self.spacing()
        for item in self._items:
            hint = item.sizeHint()
            stretch = item.widget() is not None and isinstance(item.widget(), QLineEdit)
            width = max(hint.width(), 120) if stretch else hint.width()
            if x + width > rect.right() + 1 and line > 0:
                x, y, line = rect.x(), y + line + gap, 0
            if stretch:  # the box takes the rest of its line
                width = max(width, rect.right() + 1 - x)
            if move:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += width + gap
            line = max(line, hint.height())
        return y + line - rect.y()


class TagsEdit(QWidget):
    """The Tags field. `input` is the box (accessible name "Tags"); chips sit before it.

    Signals:
        changed(): a chip was added or removed, or the box's text was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tags: list[str] = []
        self._chips: list[QToolButton] = []
        self.input = QLineEdit(self)
        self.input.setAccessibleName("Tags")
        self.input.setPlaceholderText("Add a tag: Enter or comma")
        self._suggestions = QStringListModel(self)
        completer = QCompleter(self._suggestions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        # The completer serves the box without being the box's own (`setCompleter`): the box's
        # own would write the pick back into it after it became a chip ("budgetno-answer").
        completer.setWidget(self.input)
        self.completer = completer
        self.setFocusProxy(self.input)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._flow = FlowLayout(self)
        self._flow.addWidget(self.input)

        self.input.textEdited.connect(self._on_input_text_edited)
        self.input.returnPressed.connect(self._on_input_return_pressed)
        completer.activated.connect(self._on_completer_activated)
        self.input.installEventFilter(self)

    # -- the field's value ------------------------------------------------------------------

    def tags(self) -> list[str]:
        """The chips, then whatever is still typed in the box (comma-separated)."""
        return _unique([*self._tags, *_split(self.input.text())])

    def set_tags(self, tags: Iterable[str]) -> None:
        for chip in self._chips:
            chip.deleteLater()
        self._chips, self._tags = [], []
        self.input.clear()
        for tag in _unique(tags):
            self._add_chip(tag)
        self.changed.emit()

    def text(self) -> str:
        """The value as one comma-separated line (drafts keep it this way)."""
        return ", ".join(self.tags())

    def clear(self) -> None:
        self.set_tags([])

    def set_suggestions(self, tags: Iterable[str]) -> None:
        self._suggestions.setStringList(_unique(tags))

    def suggestions(self) -> list[str]:
        return list(self._suggestions.stringList())

    def chips(self) -> list[str]:
        return list(self._tags)

    # -- editing ----------------------------------------------------------------------------

    def commit(self) -> None:
        """Turn what is typed into chips."""
        typed = _unique(_split(self.input.text()))
        self.input.clear()
        for tag in typed:
            if tag.lower() not in (t.lower() for t in self._tags):
                self._add_chip(tag)
        self.changed.emit()

    def remove(self, tag: str) -> None:
        if tag not in self._tags:
            return
        i = self._tags.index(tag)
        self._tags.pop(i)
        chip = self._chips.pop(i)
        chip.hide()
        chip.deleteLater()
        self._flow.removeWidget(chip)
        self.input.setFocus()
        self.changed.emit()

    def _add_chip(self, tag: str) -> None:
        chip = QToolButton(self)
        shown = one_line(tag, 80)
        chip.setText(f"{shown}  ×")
        chip.setObjectName("tag-chip")
        chip.setAccessibleName(f"Remove tag {shown}")
        set_tooltip(chip, f"Remove “{shown}”")
        chip.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes on to Notes; Backspace removes
        chip.setStyleSheet(
            "QToolButton#tag-chip { border: 1px solid palette(mid); border-radius: 9px;"
            " padding: 1px 8px; background: palette(alternate-base); }"
        )
        chip.clicked.connect(lambda: self.remove(tag))
        self._flow.insert_widget(len(self._chips), chip)
        self._tags.append(tag)
        self._chips.append(chip)
        chip.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.input
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Backspace
            and not self.input.text()
            and self._tags
        ):
            last = self._tags[-1]
            self.remove(last)
            self.input.setText(last)  # back into the box, to fix a typo
            return True
        return super().eventFilter(watched, event)

    def _on_input_text_edited(self, text: str) -> None:
        if "," in text:
            head, _, rest = text.rpartition(",")
            self.input.setText(head)
            self.commit()
            self.input.setText(rest.lstrip())
        self._suggest(self.input.text().strip())
        self.changed.emit()

    def _suggest(self, typed: str) -> None:
        """The suggestions holding what is typed, under the box (none for an empty box)."""
        popup = self.completer.popup()
        if typed:
            self.completer.setCompletionPrefix(typed)
        if typed and self.completer.completionCount() > 0:
            self.completer.complete()
        elif popup is not None and popup.isVisible():
            popup.hide()

    def _on_input_return_pressed(self) -> None:
        popup = self.completer.popup()
        if popup is not None and popup.isVisible():
            if popup.currentIndex().isValid():
                return  # a suggestion is highlighted: the completer's activation commits it
            popup.hide()
        self.commit()

    def _on_completer_activated(self, text: str) -> None:
        self.input.setText(text)
        self.commit()


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _clean(tag: str) -> str:
    """A tag as it is shown, suggested and logged: one line, without bidi controls (an org's
    tag, or one pasted, cannot draw itself reversed here or in Outreach), blanks collapsed."""
    return " ".join(one_line(tag, None).split())


def _unique(tags: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        tag = _clean(tag)
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out
