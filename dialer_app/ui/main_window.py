"""The rep's window: find → card → call → wrap-up → log, with the connection in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..core import settings as s
from ..core.calls import CallValidationError
from ..core.drafts import Draft, DraftStore
from ..core.jsonapi import FieldError
from ..core.outbox import Counts, Entry
from ..core.outreach.detail import ProspectDetail
from ..core.outreach.models import Disposition, Match, PhoneNumber, Prospect, Purpose, User
from ..core.phone import pretty
from ..core.session import CallSession, CallState
from ..core.wrapup import CallContext, compose_call, new_vendor_call_id
from ..services.dialer import DialerService
from .call_panel import CallPanel
from .card import ProspectCard
from .outbox_view import OutboxDialog
from .resources import app_icon
from .search_panel import SearchPanel
from .wrapup_form import WrapUpForm

DRAFT_DEBOUNCE_MS = 300
TIME_FIELDS = {"dialedAt", "answeredAt", "completedAt", "returnedAt", "direction"}


def _open_with_os(uri: str) -> bool:
    """Hand a tel:/callto:/sip: link to whatever the OS has registered for it."""
    return QDesktopServices.openUrl(QUrl(uri))


class MainWindow(QMainWindow):
    """The main window.

    Signals:
        closed(): the rep closed the window; the app shuts down.
    """

    closed = Signal()

    def __init__(
        self,
        service: DialerService,
        session: CallSession,
        drafts: DraftStore | None = None,
        settings: s.Settings | None = None,
        hand_off: Callable[[str], bool] | None = None,
        state_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.setWindowIcon(app_icon())
        self._state = QSettings(str(state_file), QSettings.Format.IniFormat) if state_file else None
        self.compact = False
        self._full_size = QSize(460, 860)
        self.service = service
        self.drafts = drafts
        self.settings = settings or s.Settings()
        self._hand_off = hand_off or _open_with_os
        self.detail: ProspectDetail | None = None
        self._dialed: PhoneNumber | None = None
        self._restoring = False
        self.setWindowTitle(APP_NAME)
        self.setObjectName("main-window")
        self.prospect: Prospect | None = None
        self._vendor_call_id = new_vendor_call_id()
        self._draft_restored = False

        self.search = SearchPanel(self)
        self.card = ProspectCard(self.settings, session.clock.now, self)
        self.call = CallPanel(session, self)
        self.wrapup = WrapUpForm(self)
        self.log_button = QPushButton("Log call", self)
        self.log_button.setAccessibleName("Log call")
        self.log_button.setToolTip("Log call (Ctrl+Enter)")
        self.log_button.setDefault(True)
        self.log_message = QLabel(self)
        self.log_message.setObjectName("log-message")
        self.log_message.setWordWrap(True)

        call_box = QGroupBox("Call", self)
        QVBoxLayout(call_box).addWidget(self.call)
        wrap_box = QGroupBox("Wrap-up", self)
        wrap_layout = QVBoxLayout(wrap_box)
        wrap_layout.addWidget(self.wrapup)
        wrap_layout.addWidget(self.log_button)
        wrap_layout.addWidget(self.log_message)

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self.search)
        layout.addWidget(self.card)
        layout.addWidget(call_box)
        layout.addWidget(wrap_box)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.setCentralWidget(scroll)

        self.mode_label = QLabel(self)
        self.mode_label.setObjectName("mode")
        self.connection_label = QLabel("Connecting…", self)
        self.connection_label.setObjectName("connection")
        self.outbox_label = QLabel(self)
        self.outbox_label.setObjectName("outbox")
        self.outbox_label.setAccessibleName("Sync status")
        self.statusBar().addWidget(self.mode_label)
        self.statusBar().addWidget(self.connection_label, 1)
        self.outbox_button = QToolButton(self)
        self.outbox_button.setText("Outbox")
        self.outbox_button.setAccessibleName("Outbox")
        self.outbox_button.setToolTip("Every logged call and what happened to it (Ctrl+O)")
        self.outbox_button.setAutoRaise(True)
        self.outbox_button.clicked.connect(self.show_outbox)
        self.outbox_dialog: OutboxDialog | None = None
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.statusBar().addPermanentWidget(self.outbox_button)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._on_log_button_clicked)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search.box.setFocus)
        QShortcut(QKeySequence("Ctrl+O"), self, activated=self.show_outbox)
        QShortcut(QKeySequence("Ctrl+M"), self, activated=self.toggle_compact)
        self.compact_button = QToolButton(self)
        self.compact_button.setText("Compact")
        self.compact_button.setAccessibleName("Compact mode")
        self.compact_button.setToolTip("A small always-on-top window for calling (Ctrl+M)")
        self.compact_button.setCheckable(True)
        self.compact_button.setAutoRaise(True)
        self.compact_button.toggled.connect(self.set_compact)
        self.statusBar().addPermanentWidget(self.compact_button)
        self._wrap_box = wrap_box
        self._restore_state()

        self.search.queryChanged.connect(service.search)
        self.search.matchChosen.connect(self._on_search_match_chosen)
        self.card.dialRequested.connect(self._on_card_dial_requested)
        self.log_button.clicked.connect(self._on_log_button_clicked)
        self.call.stateChanged.connect(self._on_call_state_changed)
        service.connecting.connect(self._on_service_connecting)
        service.connected.connect(self._on_service_connected)
        self._on_service_outbox_changed(service.counts())
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DEBOUNCE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.wrapup.connect_changed(self._on_wrapup_changed)
        service.connectionFailed.connect(self._on_service_connection_failed)
        service.referenceLoaded.connect(self._on_service_reference_loaded)
        service.searchFinished.connect(self.search.show_results)
        service.searchFailed.connect(self.search.show_error)
        service.prospectLoaded.connect(self._on_service_prospect_loaded)
        service.prospectFailed.connect(self._on_service_prospect_failed)
        service.callQueued.connect(self._on_service_call_queued)
        service.callSent.connect(self._on_service_call_sent)
        service.callParked.connect(self._on_service_call_parked)
        service.callFailed.connect(self._on_service_call_failed)
        service.outboxChanged.connect(self._on_service_outbox_changed)
        self.search.box.setFocus()

    # -- service → window -------------------------------------------------------------------

    def _on_service_connecting(self, what: str) -> None:
        self.connection_label.setText(what)

    def _on_service_connected(self, user: User, label: str) -> None:
        demo = label == "Demo"
        self.mode_label.setText(f"<b>{label}</b>" if demo else label)
        self.mode_label.setToolTip(
            "Demo mode: a local Outreach sandbox with sample data; nothing reaches a real org."
            if demo
            else ""
        )
        self.connection_label.setText(user.name)
        self.connection_label.setToolTip(f"Connected to {label} as {user.name} ({user.email})")
        self.setWindowTitle(f"{APP_NAME} — {label}")

    def _on_service_connection_failed(self, message: str) -> None:
        self.connection_label.setText(f"Not connected: {message}")

    def _on_service_reference_loaded(
        self, dispositions: list[Disposition], purposes: list[Purpose]
    ) -> None:
        form = self.wrapup.state()
        self._restoring = True
        self.wrapup.set_reference(dispositions, purposes)
        self.wrapup.restore(form)
        self._restoring = False
        if not self._draft_restored:
            self._draft_restored = True
            self.restore_draft()

    def _on_service_prospect_loaded(self, detail: ProspectDetail) -> None:
        if self.prospect is not None and detail.prospect.id != self.prospect.id:
            return  # the rep has moved on to another prospect
        self.prospect = detail.prospect
        self.detail = detail
        self.card.show_detail(detail)
        self.wrapup.set_sequence_available(detail.in_sequence)

    def _on_service_prospect_failed(self, message: str) -> None:
        self.card.show_error(message)

    def _on_service_call_queued(self, entry: Entry) -> None:
        self.log_message.setText(f"Call with {entry.summary or 'the prospect'} saved; syncing…")
        self._restoring = True
        self.wrapup.clear()
        self.call.reset()
        self._restoring = False
        self._vendor_call_id = new_vendor_call_id()
        self._dialed = None
        self._draft_timer.stop()
        if self.compact:
            self._show_full_layout(False)
        if self.drafts is not None:
            self.drafts.clear()
        self.search.box.setFocus()

    def _on_service_call_sent(self, entry: Entry, outreach_id: int) -> None:
        self.log_message.setText(
            f"Call with {entry.summary or 'the prospect'} logged in Outreach (call {outreach_id})."
        )

    def _on_service_call_parked(self, entry: Entry) -> None:
        details = "; ".join(str(f) for f in entry.field_errors) or entry.last_error
        self.log_message.setText(
            f"Outreach refused the call with {entry.summary or 'the prospect'}: {details}."
            " It is kept in the outbox for you to fix and resend."
        )

    def _on_service_outbox_changed(self, counts: Counts) -> None:
        parts = [f"{counts.unsent} waiting to sync" if counts.unsent else "All calls synced"]
        saving = self.service.sync.saving_budget_for
        if counts.unsent and saving is not None:
            until = datetime.now().astimezone() + timedelta(seconds=saving)
            parts.append(f"paused until {until:%H:%M} to keep lookups within Outreach's limit")
        if counts.attention:
            parts.append(f"{counts.attention} need attention")
        self.outbox_label.setText(" · ".join(parts))
        attention = bool(counts.attention)
        if self.outbox_label.property("attention") != attention:  # restyling is not free
            self.outbox_label.setProperty("attention", attention)
            self.outbox_label.setStyleSheet(
                "color: #b3261e; font-weight: bold;" if attention else ""
            )
        if self.outbox_dialog is not None and self.outbox_dialog.isVisible():
            self.outbox_dialog.refresh()

    def show_outbox(self) -> OutboxDialog:
        if self.outbox_dialog is None:
            self.outbox_dialog = OutboxDialog(self.service.outbox, self)
            self.outbox_dialog.on_wake = self.service.sync.wake
        self.outbox_dialog.refresh()
        self.outbox_dialog.show()
        self.outbox_dialog.raise_()
        return self.outbox_dialog

    def _on_service_call_failed(self, message: str) -> None:
        self.log_message.setText(
            f"Not saved: {message} The call is kept here; press Log call to try again."
        )

    # -- window → service -------------------------------------------------------------------

    def _on_search_match_chosen(self, match: Match) -> None:
        self._open_prospect(match.prospect)
        self.save_draft()

    def _on_card_dial_requested(self, number: PhoneNumber) -> None:
        prospect = self.prospect
        if prospect is None:
            return
        if self.call.session.state is not CallState.IDLE:
            self.call.show_error("Finish the current call before dialling another.")
            return
        if prospect.call_opted_out:
            answer = QMessageBox.question(
                self,
                "Opted out of calls",
                f"{prospect.name} has opted out of calls. Call anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        scheme = self.settings.get(s.DIAL_SCHEME)
        if scheme != "none" and not self._hand_off(f"{scheme}:{number.number}"):
            self.log_message.setText(
                f"No app on this computer opens {scheme}: links; dial {pretty(number.number)}"
                " in your softphone. The timer is running."
            )
        self._dialed = number
        self.call.dial.click()

    def _open_prospect(self, prospect: Prospect) -> None:
        self.detail = None
        self._dialed = None
        self.wrapup.set_sequence_available(False)
        self.prospect = prospect
        self.card.show_loading(prospect.name)
        self.service.open_prospect(prospect.id)

    def _on_call_state_changed(self, state: CallState) -> None:
        self.save_draft()  # timestamps are saved at once, not debounced
        if state is CallState.ENDED:
            if self.compact:
                self._show_full_layout(True)  # wrapping up needs the whole form
            self.wrapup.disposition.setFocus()

    # -- compact mode and window state ------------------------------------------------------

    def toggle_compact(self) -> None:
        self.compact_button.setChecked(not self.compact)

    def set_compact(self, on: bool) -> None:
        """A small always-on-top window: search, who, and the call; the wrap-up opens on hang-up."""
        if on == self.compact:
            return
        if on:
            self._full_size = self.size()
        self.compact = on
        self.compact_button.setChecked(on)
        visible = self.isVisible()
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, on)
        self._show_full_layout(not on)
        if visible:
            self.show()  # changing window flags hides the window
        if on:
            body = self.centralWidget()
            content = body.widget() if isinstance(body, QScrollArea) else body
            if content is not None:
                content.adjustSize()
                extra = self.statusBar().sizeHint().height() + body.frameWidth() * 2 + 4
                self.resize(self.width(), content.sizeHint().height() + extra)
        else:
            self.resize(self._full_size)

    def _show_full_layout(self, full: bool) -> None:
        self._wrap_box.setVisible(full)
        self.card.set_compact(not full)

    def _restore_state(self) -> None:
        if self._state is None:
            self.resize(self._full_size)
            return
        geometry = self._state.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(self._full_size)
        if str(self._state.value("compact", "false")).lower() == "true":
            self.set_compact(True)

    def _save_state(self) -> None:
        if self._state is None:
            return
        self._state.setValue("geometry", self.saveGeometry())
        self._state.setValue("compact", self.compact)
        self._state.sync()

    # -- drafts -----------------------------------------------------------------------------

    def _on_wrapup_changed(self) -> None:
        """Every keystroke reaches the disk at once (a crash or a kill loses nothing); the
        flush that also survives a power cut follows DRAFT_DEBOUNCE_MS after the last one."""
        if self.drafts is None or self._restoring:
            return
        self.save_draft(durable=False)
        self._draft_timer.start()

    def save_draft(self, durable: bool = True) -> None:
        """Save the call in progress (the form, the times, the prospect)."""
        if self.drafts is None or self._restoring:
            return
        if durable:
            self._draft_timer.stop()
        draft = Draft.capture(
            self.call.session.state,
            self.call.session.times,
            prospect_id=self.prospect.id if self.prospect else None,
            prospect_name=self.prospect.name if self.prospect else "",
            vendor_call_id=self._vendor_call_id,
            form=self.wrapup.state(),
        )
        try:
            self.drafts.save(draft, durable=durable)
        except OSError as exc:
            self.log_message.setText(f"The call in progress could not be saved: {exc}")

    def restore_draft(self) -> None:
        """Reopen the call that was in progress when the app last stopped."""
        if self.drafts is None:
            return
        draft = self.drafts.load()
        if draft is None or draft.is_empty:
            return
        if self.service.outbox.contains(draft.vendor_call_id):
            self.drafts.clear()  # it was logged just before the app stopped
            return
        self._restoring = True
        try:
            self._vendor_call_id = draft.vendor_call_id or self._vendor_call_id
            self.call.restore(draft.call_state(), draft.times())
            if draft.prospect_id is not None:
                self._open_prospect(
                    Prospect(id=draft.prospect_id, first_name=draft.prospect_name, last_name="")
                )
            # After opening the prospect, which clears the sequence action until the card says
            # the prospect is in a sequence: the draft's action stays picked.
            self.wrapup.restore(draft.form)
        finally:
            self._restoring = False
        self.log_message.setText("Reopened the call that was in progress when the app stopped.")

    def _on_log_button_clicked(self) -> None:
        self.wrapup.clear_errors()
        self.call.error.clear_error()
        if self.prospect is None:
            self.wrapup.general_error.show_error("Pick a prospect before logging the call.")
            return
        user = self.service.user
        phone = self._dialed or (
            self.prospect.phone_numbers[0] if self.prospect.phone_numbers else None
        )
        detail = self.detail
        task = detail.task if detail else None
        seq = detail.sequence if detail else None
        ctx = CallContext(
            prospect_id=self.prospect.id,
            user_id=user.id if user else None,
            phone_number_id=phone.id if phone else None,
            to_number=phone.number if phone else "",
            task_id=task.id if task else None,
            sequence_id=(task.sequence_id if task else None) or (seq.sequence_id if seq else None),
            sequence_state_id=(task.sequence_state_id if task else None)
            or (seq.state_id if seq else None),
            sequence_step_id=(task.sequence_step_id if task else None)
            or (seq.step_id if seq else None),
        )
        try:
            call = compose_call(
                self.call.session.times,
                self.wrapup.wrapup(),
                ctx,
                vendor_call_id=self._vendor_call_id,
            )
        except CallValidationError as exc:
            self._show_errors(exc.errors)
            return
        self.service.log_call(call, summary=self.prospect.name)

    def _show_errors(self, errors: list[FieldError]) -> None:
        time_errors = [e for e in errors if e.field in TIME_FIELDS]
        if time_errors:
            self.call.show_error(" ".join(e.message for e in time_errors))
        self.wrapup.show_errors([e for e in errors if e.field not in TIME_FIELDS])

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_state()
        self.closed.emit()
        super().closeEvent(event)
