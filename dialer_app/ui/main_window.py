"""The rep's window: find → card → call → wrap-up → log, with the connection in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..core import settings as s
from ..core.drafts import Draft, DraftStore
from ..core.outreach.models import Disposition, Match, PhoneNumber, Prospect, Purpose, User
from ..core.phone import pretty
from ..core.session import CallSession, CallState
from ..core.softphone.events import CallEvent
from ..core.terms import CallValidationError, FieldError
from ..core.uri import UriError, parse_uri
from ..core.wrapup import CallContext, compose_call, new_vendor_call_id
from . import shortcuts as keys
from .call_panel import CallPanel
from .card import ProspectCard
from .notices import NoticeBar
from .resources import app_icon
from .search_panel import SearchPanel
from .text import ask, isolate, neutralise, one_line, plain, set_tooltip
from .toast import Toast
from .wrapup_form import WrapUpForm

if TYPE_CHECKING:  # the window is built and painted before these load (see `ui.app`)
    from ..core.outbox import Counts, Entry
    from ..core.outreach.detail import ProspectDetail
    from ..services.dialer import DialerService
    from .diagnostics import DiagnosticsDialog
    from .outbox_view import OutboxDialog
    from .settings_dialog import SettingsDialog

DRAFT_DEBOUNCE_MS = 300
TIME_FIELDS = {"dialedAt", "answeredAt", "completedAt", "returnedAt", "direction"}


def open_with_os(uri: str) -> bool:
    """Hand a tel:/callto:/sip: link to whatever the OS has registered for it."""
    return QDesktopServices.openUrl(QUrl(uri))


class MainWindow(QMainWindow):
    """The main window.

    Signals:
        closed(): the rep closed the window; the app shuts down.
        accountsRequested(): the rep wants the Accounts dialog (sign in, profiles).
    """

    closed = Signal()
    accountsRequested = Signal()

    def __init__(
        self,
        service: DialerService | None,
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
        self.service: DialerService = None  # type: ignore[assignment]  # set by attach()
        self.drafts = drafts
        self.settings = settings or s.Settings()
        self._hand_off = hand_off or open_with_os
        self.detail: ProspectDetail | None = None
        self._dialed: PhoneNumber | None = None
        self._restoring = False
        self.setWindowTitle(APP_NAME)
        self.setObjectName("main-window")
        self.prospect: Prospect | None = None
        self._vendor_call_id = new_vendor_call_id()
        self._draft_restored = False
        self._connected = False
        self._wanted_number = ""  # the number a link or a softphone event asked for
        self._wanted_inbound = False
        self._call_id = ""  # the softphone's id for the call in progress, once known
        self.toast: Toast | None = None

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

        self.notices = NoticeBar(self)  # what the app could not read or open, said once
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self.notices)
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
        plain(self.log_message, self.connection_label, self.outbox_label)
        self.statusBar().addWidget(self.mode_label)
        self.statusBar().addWidget(self.connection_label, 1)
        self.outbox_dialog: OutboxDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.token_label = QLabel(self)
        self.token_label.setObjectName("token")
        self.token_label.setAccessibleName("Sign-in status")
        plain(self.token_label)
        self.token_label.hide()
        self.account_button = QToolButton(self)
        self.account_button.setText("Sign in…")
        self.account_button.setAccessibleName("Accounts")
        self.account_button.setToolTip("Sign in to your Outreach org; profiles; sign out")
        self.account_button.setAutoRaise(True)
        self.account_button.clicked.connect(self.accountsRequested.emit)
        # The rest sits in one menu: a 460 px status bar has room for the state, not for buttons.
        menu = QMenu(self)
        self.outbox_action = menu.addAction(f"Outbox…\t{keys.OUTBOX.label}", self.show_outbox)
        self.outbox_action.setToolTip("Every logged call and what happened to it")
        self.compact_action = menu.addAction(f"Compact mode\t{keys.COMPACT.label}")
        self.compact_action.setCheckable(True)
        self.compact_action.toggled.connect(self.set_compact)
        menu.addSeparator()
        self.accounts_action = menu.addAction("Accounts…", self.accountsRequested.emit)
        self.settings_action = menu.addAction(
            f"Settings…\t{keys.SETTINGS.label}", self.show_settings
        )
        help_menu = menu.addMenu("Help")
        self.diagnostics_action = help_menu.addAction("Copy diagnostics…", self.show_diagnostics)
        self.diagnostics_action.setToolTip(
            "Save a zip for your helpdesk: versions, settings, the last errors and log lines;"
            " no tokens, notes or full numbers"
        )
        self.log_folder_action = help_menu.addAction("Open log folder", self.open_log_folder)
        self.diagnostics_dialog: DiagnosticsDialog | None = None
        self.menu_button = QToolButton(self)
        self.menu_button.setText("☰")
        self.menu_button.setAccessibleName("Menu")
        self.menu_button.setToolTip(
            f"Outbox ({keys.OUTBOX.label}), compact mode ({keys.COMPACT.label}), "
            f"settings ({keys.SETTINGS.label}), help and diagnostics"
        )
        self.menu_button.setAutoRaise(True)
        self.menu_button.setMenu(menu)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.statusBar().addWidget(self.token_label)
        self.statusBar().addPermanentWidget(self.account_button)
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.statusBar().addPermanentWidget(self.menu_button)

        for shortcut, slot in (
            (keys.LOG, self._on_log_button_clicked),
            (keys.FIND, self.search.box.setFocus),
            (keys.OUTBOX, self.show_outbox),
            (keys.COMPACT, self.toggle_compact),
            (keys.SETTINGS, self.show_settings),
        ):
            for sequence in shortcut.keys:
                QShortcut(QKeySequence(sequence), self, activated=slot)
        self._wrap_box = wrap_box
        self._restore_state()

        self.search.matchChosen.connect(self._on_search_match_chosen)
        self.card.dialRequested.connect(self._on_card_dial_requested)
        self.log_button.clicked.connect(self._on_log_button_clicked)
        self.call.stateChanged.connect(self._on_call_state_changed)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DEBOUNCE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.wrapup.connect_changed(self._on_wrapup_changed)
        self.search.box.setFocus()
        if service is not None:
            self.attach(service)

    def set_hand_off(self, hand_off: Callable[[str], bool]) -> None:
        """How click-to-dial reaches the softphone (the OS by default)."""
        self._hand_off = hand_off

    def attach(self, service: DialerService) -> None:
        """Connect the window to the service (once). Until then it shows, but does nothing.

        The app paints the window first and attaches the service after, so the rep sees the
        window before the network stack has even loaded.
        """
        self.service = service
        self.search.queryChanged.connect(service.search)
        service.connecting.connect(self._on_service_connecting)
        service.connected.connect(self._on_service_connected)
        self._on_service_outbox_changed(service.counts())
        service.connectionFailed.connect(self._on_service_connection_failed)
        service.tokenChanged.connect(self._on_service_token_changed)
        service.signInRequired.connect(self._on_service_sign_in_required)
        service.referenceLoaded.connect(self._on_service_reference_loaded)
        service.tagsLoaded.connect(self.wrapup.tags.set_suggestions)
        service.searchFinished.connect(self.search.show_results)
        service.searchFailed.connect(self.search.show_error)
        service.recentFound.connect(self.search.show_results)
        service.numberFound.connect(self._on_service_number_found)
        service.numberFailed.connect(self._on_service_number_failed)
        service.prospectLoaded.connect(self._on_service_prospect_loaded)
        service.prospectFailed.connect(self._on_service_prospect_failed)
        service.callQueued.connect(self._on_service_call_queued)
        service.callSent.connect(self._on_service_call_sent)
        service.callParked.connect(self._on_service_call_parked)
        service.callFailed.connect(self._on_service_call_failed)
        service.outboxChanged.connect(self._on_service_outbox_changed)

    # -- service → window -------------------------------------------------------------------

    def _on_service_connecting(self, what: str) -> None:
        self.connection_label.setText(neutralise(what))

    def _on_service_connected(self, user: User, label: str) -> None:
        demo = label == "Demo"
        # Bold markup only around the app's own word; an org's name is shown as plain text.
        rich, plain_text = Qt.TextFormat.RichText, Qt.TextFormat.PlainText
        self.mode_label.setTextFormat(rich if demo else plain_text)
        self.mode_label.setText("<b>Demo</b>" if demo else one_line(label))
        self.mode_label.setToolTip(
            "Demo mode: a local Outreach sandbox with sample data; nothing reaches a real org."
            if demo
            else ""
        )
        self._connected = True
        if self._wanted_number and self.prospect is None:
            self.service.find_number(self._wanted_number)
        self.connection_label.setText(one_line(user.name))
        set_tooltip(
            self.connection_label,
            f"Connected to {isolate(label)} as {isolate(user.name)} ({one_line(user.email)})",
        )
        self.setWindowTitle(f"{APP_NAME} — {one_line(label)}")
        self.account_button.setText("Sign in…" if demo else "Account")

    def _on_service_token_changed(self, health: str) -> None:
        self.token_label.setText(health)
        self.token_label.setVisible(bool(health))
        again = health == "Sign in again"
        self.token_label.setStyleSheet("color: #b3261e; font-weight: bold;" if again else "")
        self.account_button.setText("Sign in again" if again else "Account")

    def _on_service_sign_in_required(self, message: str) -> None:
        self._on_service_token_changed("Sign in again")
        set_tooltip(
            self.token_label, f"{message} Calls wait in the outbox until you sign in (Accounts)."
        )

    def _on_service_connection_failed(self, message: str) -> None:
        self.connection_label.setText(f"Not connected: {neutralise(message)}")

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
        if self._wanted_number and self._dialed is None:
            self._dialed = next(
                (p for p in detail.prospect.phone_numbers if p.number == self._wanted_number), None
            )
        self.card.show_detail(detail)
        self.wrapup.set_sequence_available(detail.in_sequence)

    def _on_service_prospect_failed(self, message: str) -> None:
        self.card.show_error(message)

    def _on_service_call_queued(self, entry: Entry) -> None:
        self.log_message.setText(f"Call with {_who(entry.summary)} saved; syncing…")
        self._restoring = True
        self.wrapup.clear()
        self.call.reset()
        self._restoring = False
        self._vendor_call_id = new_vendor_call_id()
        self._dialed = None
        self._call_id = ""
        self._draft_timer.stop()
        if self.compact:
            self._show_full_layout(False)
        if self.drafts is not None:
            self.drafts.clear()
        self.search.box.setFocus()

    def _on_service_call_sent(self, entry: Entry, outreach_id: int) -> None:
        self.log_message.setText(
            f"Call with {_who(entry.summary)} logged in Outreach (call {outreach_id})."
        )

    def _on_service_call_parked(self, entry: Entry) -> None:
        details = neutralise("; ".join(str(f) for f in entry.field_errors) or entry.last_error)
        self.log_message.setText(
            f"Outreach refused the call with {_who(entry.summary)}: {details}."
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

    def show_settings(self) -> SettingsDialog:
        if self.settings_dialog is None:
            from .settings_dialog import SettingsDialog  # only when asked: it lists every region

            self.settings_dialog = SettingsDialog(self.settings, self)
            self.settings_dialog.applied.connect(self._on_settings_applied)
            self.settings_dialog.accountsRequested.connect(self.accountsRequested.emit)
        self.settings_dialog.load()
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        return self.settings_dialog

    def show_diagnostics(self) -> DiagnosticsDialog:
        if self.diagnostics_dialog is None:
            from .diagnostics import DiagnosticsDialog

            self.diagnostics_dialog = DiagnosticsDialog(self.service, self)
        self.diagnostics_dialog.refresh()
        self.diagnostics_dialog.show()
        self.diagnostics_dialog.raise_()
        return self.diagnostics_dialog

    def open_log_folder(self) -> bool:
        """The log folder in the desktop's file manager."""
        from ..core import paths

        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def _on_settings_applied(self) -> None:
        self.service.set_region(self.settings.get(s.REGION))
        self.card.refresh_local_time()

    def show_outbox(self) -> OutboxDialog:
        if self.outbox_dialog is None:
            from .outbox_view import OutboxDialog

            self.outbox_dialog = OutboxDialog(self.service.outbox, self)
            self.outbox_dialog.on_wake = self.service.sync.wake
        self.outbox_dialog.refresh()
        self.outbox_dialog.show()
        self.outbox_dialog.raise_()
        return self.outbox_dialog

    def _on_service_call_failed(self, message: str) -> None:
        self.log_message.setText(
            f"Not saved: {neutralise(message)} The call is kept here; press Log call to try again."
        )

    # -- window → service -------------------------------------------------------------------

    def _on_search_match_chosen(self, match: Match) -> None:
        self._wanted_number = ""
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
            answer = ask(
                self,
                "Opted out of calls",
                f"{isolate(prospect.name)} has opted out of calls. Call anyway?",
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

    # -- from outside: links and softphone events -------------------------------------------

    def open_uri(self, text: str) -> bool:
        """A tel:/callto:/sip: link the OS handed us: look the number up, ready to dial."""
        try:
            target = parse_uri(text, region=self.settings.get(s.REGION))
        except UriError as exc:
            self.log_message.setText(f"Not opened: {neutralise(str(exc))}")
            self.statusBar().showMessage(f"Not opened: {neutralise(str(exc))}", 10_000)
            return False
        self.bring_to_front(activate=True)
        if self.call.session.state is not CallState.IDLE:
            self.log_message.setText(
                f"Not opened: finish and log the current call before {pretty(target.number)}."
            )
            return False
        self._look_up(target.number, inbound=False)
        return True

    def bring_to_front(self, *, activate: bool) -> None:
        """Show and raise the window; take keyboard focus only when `activate` (the rep asked)."""
        # The attribute stays as set: the platform reads it when the window is mapped, later.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, not activate)
        if self.isMinimized():
            self.showNormal()
        elif not self.isVisible():
            self.show()  # a window being shown comes up on top
        else:
            self.raise_()
        if activate:
            self.activateWindow()

    def apply_call_event(self, event: CallEvent) -> None:
        """What the softphone reported (hook command or Baresip) drives the call session."""
        session = self.call.session
        if (
            session.active
            and self._call_id
            and event.call_id
            and event.call_id != self._call_id
            and event.kind != "ended"
        ):
            self.statusBar().showMessage("Another call on the softphone; this one continues.", 8000)
            return
        if event.kind == "ended":
            if event.call_id and self._call_id and event.call_id != self._call_id:
                return  # the other call ended, not this one
            if session.active and self.call.drive("hang_up") and event.reason:
                self.statusBar().showMessage(f"Call ended: {event.reason}", 15_000)
            self._call_id = ""
            return
        if session.active and not self._call_id:
            self._call_id = event.call_id
        if event.kind == "incoming" or (event.inbound and session.state is CallState.IDLE):
            idle = session.state is CallState.IDLE
            if self._may_start_call() and idle and self.call.drive("ring"):
                self._call_id = event.call_id
                self._screen_pop(event.number)
            if event.kind == "answered" and session.state is CallState.RINGING:
                self.call.drive("answer")
            return
        if event.kind in ("dialing", "ringing") and not session.active:
            if not self._may_start_call() or not self.call.drive("dial"):
                return
            self._call_id = event.call_id
            if event.number and not self._has_number(event.number):
                self._look_up(event.number, inbound=False)
        if event.kind == "ringing":
            self.call.show_ringing()
        elif event.kind == "answered" and session.state in (CallState.DIALING, CallState.RINGING):
            self.call.drive("answer")

    def _may_start_call(self) -> bool:
        if self.call.session.state is CallState.ENDED:
            self.statusBar().showMessage(
                "A new call started on the softphone: log the last one to time it.", 10_000
            )
            return False
        return True

    def _has_number(self, number: str) -> bool:
        if self.prospect is None:
            return False
        for phone in self.prospect.phone_numbers:
            if phone.number == number:
                self._dialed = phone
                return True
        return False

    def _screen_pop(self, number: str) -> None:
        """An incoming call: show who it is without taking the keyboard from the rep."""
        label = pretty(number) if number else "an unknown number"
        if self.compact:
            if self.toast is None:
                self.toast = Toast(self)
            self.toast.show_text(f"Incoming call from {label}", self)
        self.bring_to_front(activate=False)
        if number and not self._has_number(number):
            self._look_up(number, inbound=True)

    def _look_up(self, number: str, *, inbound: bool) -> None:
        self._wanted_number = number
        self._wanted_inbound = inbound
        self.prospect = None
        self.detail = None
        self._dialed = None
        self.card.show_loading(pretty(number))
        if self._connected:
            self.service.find_number(number)

    def _on_service_number_found(self, number: str, matches: list[Match]) -> None:
        if number != self._wanted_number or self.prospect is not None:
            return
        label = pretty(number)
        if len(matches) == 1:
            self._open_prospect(matches[0].prospect)
            self.save_draft()
            if self.toast is not None:
                self.toast.set_text(f"Incoming call: {isolate(matches[0].prospect.name)} ({label})")
            if not self._wanted_inbound:
                self.log_message.setText(f"{label}: click the number (or Alt+1…) to call.")
            return
        if not matches:
            self.card.show_error(f"No prospect has the number {label}.")
            return
        self.card.show_error(f"{len(matches)} prospects have the number {label}: pick one.")
        if not self.search.box.hasFocus():  # never rewrite what the rep is typing
            self.search.box.setText(number)
            self.search.show_results(number, matches)

    def _on_service_number_failed(self, number: str, message: str) -> None:
        if number == self._wanted_number:
            self.card.show_error(f"Could not look up {pretty(number)}: {neutralise(message)}")

    # -- compact mode and window state ------------------------------------------------------

    def toggle_compact(self) -> None:
        self.compact_action.setChecked(not self.compact)

    def set_compact(self, on: bool) -> None:
        """A small always-on-top window: search, who, and the call; the wrap-up opens on hang-up."""
        if on == self.compact:
            return
        if on:
            self._full_size = self.size()
        self.compact = on
        self.compact_action.setChecked(on)
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
            why = neutralise(str(exc))
            self.log_message.setText(f"The call in progress could not be saved: {why}")

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


def _who(summary: str) -> str:
    """The prospect a logged call was with, for a sentence of the app's own."""
    return isolate(summary) if summary else "the prospect"
