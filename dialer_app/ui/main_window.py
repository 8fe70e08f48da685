"""The rep's window: find → card → call → wrap-up → log, with the connection in the status bar.

The calls themselves live in the call desk (`core.desk`): the window forwards what the rep,
the softphone and the service say to it, does what it answers (look a number up, load a card,
hand a link to the softphone), and renders it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
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
from ..core.callbacks import Callback
from ..core.callbacks import describe as describe_callback
from ..core.desk import (
    CallDesk,
    HandOff,
    Links,
    Load,
    LookUp,
    Phone,
    Pop,
    Reply,
    StartWrapUp,
    Who,
    clean_form,
)
from ..core.drafts import DraftStore
from ..core.outreach.models import Disposition, Match, PhoneNumber, Prospect, Purpose, User
from ..core.phone import pretty
from ..core.softphone.events import CallEvent
from ..core.terms import CallValidationError, FieldError
from ..core.uri import UriError, parse_uri
from ..services.throttle import Throttle
from . import shortcuts as keys
from .call_panel import CallPanel
from .callback import CallbackDialog, CallbackRow
from .card import LoggedLine, ProspectCard
from .desk_view import CallsBar
from .notices import NoticeBar
from .prospect_actions import ProspectActions
from .queue_panel import QueuePanel
from .resources import app_icon
from .search_panel import SearchPanel
from .text import ask, isolate, neutralise, one_line, plain, set_tooltip
from .toast import Toast
from .wrapup_form import WrapUpForm

if TYPE_CHECKING:  # the window is built and painted before these load (see `ui.app`)
    from ..core.outbox import Counts, Entry, Step
    from ..core.outreach.detail import ProspectDetail
    from ..core.today import DayTally
    from ..services.connection import Connection
    from ..services.logbook import Logbook, OutboxChange
    from ..services.lookup import Lookup
    from ..services.queue import CallQueue
    from ..services.session import Services
    from .diagnostics import DiagnosticsDialog
    from .outbox_view import OutboxDialog
    from .settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

DRAFT_DEBOUNCE_MS = 300
UNDO_TICK_MS = 500
TIME_FIELDS = {"dialedAt", "answeredAt", "completedAt", "returnedAt", "direction"}


def open_with_os(uri: str) -> bool:
    """Hand a tel:/callto:/sip: link to whatever the OS has registered for it."""
    return QDesktopServices.openUrl(QUrl(uri))


def links_of(detail: ProspectDetail) -> Links:
    """What a call with this prospect belongs to: the open call task, else the sequence."""
    task, seq = detail.task, detail.sequence
    return Links(
        task_id=task.id if task else None,
        sequence_id=(task.sequence_id if task else None) or (seq.sequence_id if seq else None),
        sequence_state_id=(task.sequence_state_id if task else None)
        or (seq.state_id if seq else None),
        sequence_step_id=(task.sequence_step_id if task else None)
        or (seq.step_id if seq else None),
    )


def who_of(prospect: Prospect) -> Who:
    return Who(prospect.id, prospect.name)


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
        services: Services | None,
        desk: CallDesk,
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
        # Set by attach(): the window holds the three services, never a store of theirs.
        self.connection: Connection = None  # type: ignore[assignment]
        self.lookup: Lookup = None  # type: ignore[assignment]
        self.logbook: Logbook = None  # type: ignore[assignment]
        self.desk = desk
        self.drafts = drafts
        self.settings = settings or s.Settings()
        self._hand_off = hand_off or open_with_os
        self._restoring = False
        self.setWindowTitle(APP_NAME)
        self.setObjectName("main-window")
        self._connected = False
        self._details: dict[int, ProspectDetail] = {}  # the cards read so far, by prospect
        self._loads: list[int] = []  # cards to read, one at a time
        self._loading: int | None = None
        self._lookups: list[str] = []  # numbers to look up, one at a time
        self._looking_up: str | None = None
        self._link_number = ""  # a number a link opened: say how to call it once found
        self._form_call: str | None = "?"  # the call whose form the widgets show
        self._saved_revision = desk.revision
        self._restored = False  # nothing is saved before the saved desk came back
        self.toast: Toast | None = None

        self.search = SearchPanel(self)
        self.card = ProspectCard(self.settings, desk.clock.now, self)
        self.call = CallPanel(desk, self)
        self.calls = CallsBar(self)
        self.wrap_title = QLabel(self)
        self.wrap_title.setObjectName("wrap-title")
        self.wrap_title.setAccessibleName("Wrap-up call")
        self.wrap_title.setWordWrap(True)
        self.wrapup = WrapUpForm(self)
        self.queue: CallQueue | None = None  # the call tasks: set by attach_queue()
        self.queue_panel = QueuePanel(self)
        self.callback_row = CallbackRow(self)
        self.log_next_button = QPushButton("Log && next", self)
        self.log_next_button.setAccessibleName("Log and next")
        self.log_next_button.setToolTip(f"{keys.LOG_AND_NEXT.action} ({keys.LOG_AND_NEXT.label})")
        self.log_button = QPushButton("Log call", self)
        self.log_button.setAccessibleName("Log call")
        self.log_button.setToolTip(f"Log call ({keys.LOG.label})")
        self.log_button.setDefault(True)
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setAccessibleName("Discard call")
        self.discard_button.setToolTip(
            f"Throw this call away without logging it ({keys.DISCARD.label}); "
            f"undo with {keys.UNDO_DISCARD.label} for a few seconds"
        )
        self.assign_button = QPushButton(self)
        self.assign_button.setAccessibleName("Assign call")
        self.assign_button.hide()
        self.undo_label = QLabel(self)
        self.undo_label.setObjectName("undo-message")
        self.undo_label.setAccessibleName("Discarded call")
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setAccessibleName("Undo discard")
        self.undo_button.setToolTip(f"Bring the call back ({keys.UNDO_DISCARD.label})")
        self.log_message = QLabel(self)
        self.log_message.setObjectName("log-message")
        self.log_message.setWordWrap(True)
        plain(self.wrap_title, self.undo_label)

        call_box = QGroupBox("Call", self)
        call_layout = QVBoxLayout(call_box)
        call_layout.addWidget(self.call)
        call_layout.addWidget(self.calls)
        wrap_box = QGroupBox("Wrap-up", self)
        wrap_layout = QVBoxLayout(wrap_box)
        wrap_layout.addWidget(self.wrap_title)
        wrap_layout.addWidget(self.wrapup)
        wrap_layout.addWidget(self.callback_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.log_button, 2)
        buttons.addWidget(self.log_next_button, 2)
        buttons.addWidget(self.discard_button, 1)
        wrap_layout.addLayout(buttons)
        wrap_layout.addWidget(self.assign_button)
        self.undo_bar = QWidget(self)
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(0, 0, 0, 0)
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.hide()
        wrap_layout.addWidget(self.undo_bar)
        wrap_layout.addWidget(self.log_message)

        self.prospect_actions = ProspectActions(self)  # unknown callers, bad numbers, opt-outs
        wrap_layout.insertWidget(
            wrap_layout.indexOf(self.assign_button), self.prospect_actions.hygiene_bar
        )
        self.notices = NoticeBar(self)  # what the app could not read or open, said once
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self.notices)
        layout.addWidget(self.search)
        layout.addWidget(self.queue_panel)
        layout.addWidget(self.card)
        layout.addWidget(self.prospect_actions.unknown_bar)
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
        self.queue_label = QLabel(self)  # "7 due": the call tasks left today
        self.queue_label.setObjectName("queue-count")
        self.queue_label.setAccessibleName("Call tasks due")
        self.today_label = QLabel(self)  # "Today 12/60": calls so far (of the goal)
        self.today_label.setObjectName("today")
        self.today_label.setAccessibleName("Today's calls")
        plain(self.queue_label, self.today_label)
        self.statusBar().addPermanentWidget(self.queue_label)
        self.statusBar().addPermanentWidget(self.today_label)
        self.statusBar().addPermanentWidget(self.account_button)
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.statusBar().addPermanentWidget(self.menu_button)

        for shortcut, slot in (
            (keys.LOG, self._on_log_button_clicked),
            (keys.FIND, self._on_find_key),
            (keys.NEXT_CALL, self._on_next_call_key),
            (keys.PREVIOUS_CALL, self._on_previous_call_key),
            (keys.NEXT_TASK, self._on_next_task_key),
            (keys.LOG_AND_NEXT, self._on_log_and_next_key),
            (keys.SKIP_TASK, self._on_skip_task_key),
            (keys.SNOOZE_TASK, self._on_snooze_task_key),
            (keys.RESCHEDULE_TASK, self._on_reschedule_task_key),
            (keys.CALL_BACK, self._on_call_back_key),
            (keys.DISCARD, self._on_discard_button_clicked),
            (keys.UNDO_DISCARD, self._on_undo_button_clicked),
            (keys.REASSIGN, self._on_assign_button_clicked),
            (keys.OUTBOX, self.show_outbox),
            (keys.COMPACT, self.toggle_compact),
            (keys.SETTINGS, self.show_settings),
        ):
            for sequence in shortcut.keys:
                QShortcut(QKeySequence(sequence), self).activated.connect(slot)
        self._wrap_box = wrap_box
        self._restore_state()

        self.search.matchChosen.connect(self._on_search_match_chosen)
        self.search.box.textEdited.connect(self._on_search_text_edited)
        self.card.dialRequested.connect(self._on_card_dial_requested)
        self.call.dialRequested.connect(self._on_call_dial_requested)
        self.call.answerRequested.connect(self._on_call_answer_requested)
        self.call.hangUpRequested.connect(self._on_call_hang_up_requested)
        self.calls.callChosen.connect(self._on_calls_call_chosen)
        self.log_button.clicked.connect(self._on_log_button_clicked)
        self.log_next_button.clicked.connect(self._on_log_and_next_key)
        self.queue_panel.openRequested.connect(self._on_queue_open_requested)
        self.queue_panel.nextRequested.connect(self._on_next_task_key)
        self.queue_panel.skipRequested.connect(self._on_skip_task_key)
        self.queue_panel.snoozeRequested.connect(self._on_snooze_task_key)
        self.queue_panel.rescheduleRequested.connect(self._on_reschedule_task_key)
        self.callback_row.requested.connect(self._on_call_back_key)
        self.discard_button.clicked.connect(self._on_discard_button_clicked)
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.assign_button.clicked.connect(self._on_assign_button_clicked)
        self._draft_flush = Throttle(self.save_draft, DRAFT_DEBOUNCE_MS, leading=False, parent=self)
        self._undo_timer = QTimer(self)
        self._undo_timer.setInterval(UNDO_TICK_MS)
        self._undo_timer.timeout.connect(self._on_undo_timer_timeout)
        self.wrapup.connect_changed(self._on_wrapup_changed)
        self.callback_row.connect_changed(self._on_wrapup_changed)
        self.search.box.setFocus()
        self.render()
        if services is not None:
            self.attach(services)

    def set_hand_off(self, hand_off: Callable[[str], bool]) -> None:
        """How click-to-dial reaches the softphone (the OS by default)."""
        self._hand_off = hand_off

    def attach(self, services: Services) -> None:
        """Connect the window to its services (once). Until then it shows, but does nothing.

        The app paints the window first and attaches the services after, so the rep sees the
        window before the network stack has even loaded. The calls saved when the app last
        stopped come back here (the outbox says which of them were logged already).
        """
        connection = self.connection = services.connection
        lookup = self.lookup = services.lookup
        logbook = self.logbook = services.logbook
        self.search.queryChanged.connect(lookup.search)
        connection.connecting.connect(self._on_service_connecting)
        connection.connected.connect(self._on_service_connected)
        connection.connectionFailed.connect(self._on_service_connection_failed)
        connection.tokenChanged.connect(self._on_service_token_changed)
        connection.signInRequired.connect(self._on_service_sign_in_required)
        lookup.referenceLoaded.connect(self._on_service_reference_loaded)
        lookup.referenceFailed.connect(self._on_service_connection_failed)
        lookup.tagsLoaded.connect(self.wrapup.tags.set_suggestions)
        lookup.searchFinished.connect(self.search.show_results)
        lookup.searchFailed.connect(self.search.show_error)
        lookup.searchFinished.connect(self._on_service_search_finished)
        lookup.searchFailed.connect(self._on_service_search_failed)
        lookup.recentFound.connect(self.search.show_results)
        lookup.numberFound.connect(self._on_service_number_found)
        lookup.numberFailed.connect(self._on_service_number_failed)
        lookup.prospectLoaded.connect(self._on_service_prospect_loaded)
        lookup.prospectFailed.connect(self._on_service_prospect_failed)
        self._show_outbox_counts(logbook.counts(), logbook.budget_wait)
        logbook.callQueued.connect(self._on_service_call_queued)
        logbook.callSent.connect(self._on_service_call_sent)
        logbook.callParked.connect(self._on_service_call_parked)
        logbook.callFailed.connect(self._on_service_call_failed)
        logbook.changed.connect(self._on_logbook_changed)
        logbook.syncProblem.connect(self._on_service_sync_problem)
        self.restore_draft()
        self.prospect_actions.attach(logbook)  # after the desk is back: it catches up

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
        self._next_load()
        self._next_lookup()
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
        self._restoring = True
        try:
            self.wrapup.set_reference(dispositions, purposes)
            self.wrapup.restore(self.desk.form)  # ids picked before the lists came
        finally:
            self._restoring = False

    def _on_service_prospect_loaded(self, detail: ProspectDetail) -> None:
        if self.queue is not None:  # the call task the rep opened for them is the one linked
            detail = self.queue.with_task(detail)
        pid = detail.prospect.id
        self._details[pid] = detail
        phones = [Phone(p.id, p.number, p.extension) for p in detail.prospect.phone_numbers]
        self._apply(self.desk.prospect_loaded(who_of(detail.prospect), phones, links_of(detail)))
        if self._loading == pid:
            self._loading = None
            self._next_load()

    def _on_service_prospect_failed(self, message: str) -> None:
        failed = self._loading
        offline = self.queue.offline_detail(failed) if self.queue and failed else None
        if offline is not None:  # Outreach can't be asked: the card from the local index
            self._on_service_prospect_loaded(offline)
            self.statusBar().showMessage(
                f"Showing the copy kept on this computer: {neutralise(message)}", 15_000
            )
            return
        self._loading = None
        if self.desk.card is not None and failed == self.desk.card.id:
            self.card.show_error(message)
        self._next_load()

    def _on_service_number_found(self, number: str, matches: list[Match]) -> None:
        if number == self._looking_up:
            self._looking_up = None
        reply = self.desk.number_found(number, [who_of(m.prospect) for m in matches])
        card_asked = bool(reply.say) or any(isinstance(e, Load) for e in reply.effects)
        self._apply(reply)
        if card_asked and len(matches) > 1:
            self.card.show_error(reply.say)
            if not self.search.box.hasFocus():  # never rewrite what the rep is typing
                self.search.box.setText(number)
                self.search.show_results(number, matches)
        elif card_asked and not matches:
            self.card.show_error(reply.say)
        if len(matches) == 1:
            who = isolate(matches[0].prospect.name)
            if self.toast is not None and self.toast.isVisible():
                self.toast.set_text(f"Incoming call: {who} ({pretty(number)})")
            if number == self._link_number:
                self.log_message.setText(f"{pretty(number)}: click the number (or Alt+1…) to call.")
        if number == self._link_number:
            self._link_number = ""
        self._next_lookup()

    def _on_service_number_failed(self, number: str, message: str) -> None:
        if number == self._looking_up:
            self._looking_up = None
        if self.desk.card_number == number:
            self.card.show_error(f"Could not look up {pretty(number)}: {message}")
        self.desk.number_failed(number)
        self._next_lookup()

    def _on_service_search_finished(self, query: str, matches: list[Match]) -> None:
        self._say_search_state(query, bool(matches))

    def _on_service_search_failed(self, query: str, _message: str) -> None:
        self._say_search_state(query, False)

    def _say_search_state(self, query: str, found: bool) -> None:
        """A search that found nobody leaves the card's prospect on screen: say that Dial will
        not call them."""
        card = self.desk.card
        if query != self.search.box.text().strip() or not query or card is None or found:
            return
        if not self.desk.card_armed:
            self.search.state.setText(
                f"{self.search.state.text()} {isolate(card.name)}, still on the card below, is not "
                f"selected: {keys.DIAL.label} calls no one until you pick a match."
            )

    def _on_service_call_queued(self, entry: Entry) -> None:
        self.log_message.setText(f"Call with {_who(entry.summary)} saved; syncing…")
        self._draft_flush.cancel()
        self._apply(self.desk.queued(entry.vendor_call_id))
        if self.desk.current is None:
            if self.compact:
                self._show_full_layout(False)
            self.search.box.setFocus()
        else:
            self.wrapup.disposition.setFocus()

    def _on_service_call_sent(self, entry: Entry, outreach_id: int) -> None:
        self.desk.sent(entry.vendor_call_id, outreach_id)
        self.log_message.setText(
            f"Call with {_who(entry.summary)} logged in Outreach (call {outreach_id})."
        )
        self._render_card()

    def _on_service_call_parked(self, entry: Entry) -> None:
        self.desk.refused(entry.vendor_call_id)
        details = neutralise("; ".join(str(f) for f in entry.field_errors) or entry.last_error)
        self.log_message.setText(
            f"Outreach refused the call with {_who(entry.summary)}: {details}."
            " It is kept in the outbox for you to fix and resend."
        )
        self._render_card()

    def _on_service_sync_problem(self, message: str) -> None:
        if message:
            self.log_message.setText(message)

    def _on_logbook_changed(self, change: OutboxChange) -> None:
        self._show_outbox_counts(change.counts, change.budget_wait)

    def _show_outbox_counts(self, counts: Counts, saving: float | None) -> None:
        parts = [f"{counts.unsent} waiting to sync" if counts.unsent else "All calls synced"]
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

            self.diagnostics_dialog = DiagnosticsDialog(self.connection, self)
        self.diagnostics_dialog.refresh()
        self.diagnostics_dialog.show()
        self.diagnostics_dialog.raise_()
        return self.diagnostics_dialog

    def open_log_folder(self) -> bool:
        """The log folder in the desktop's file manager."""
        from ..core import paths

        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def _on_settings_applied(self) -> None:
        if self.lookup is not None:
            self.lookup.set_region(self.settings.get(s.REGION))
        self.card.refresh_local_time()
        if self.queue is not None:
            self.queue.settings_changed()

    def show_outbox(self) -> OutboxDialog:
        if self.outbox_dialog is None:
            from .outbox_view import OutboxDialog

            self.outbox_dialog = OutboxDialog(self.logbook, self)
        self.outbox_dialog.refresh()
        self.outbox_dialog.show()
        self.outbox_dialog.raise_()
        return self.outbox_dialog

    def _on_service_call_failed(self, message: str) -> None:
        self.log_message.setText(
            f"Not saved: {neutralise(message)} The call is kept here; press Log call to try again."
        )

    # -- the rep → the desk -----------------------------------------------------------------

    def _on_find_key(self) -> None:
        """Ctrl+F: the whole query selected, so what the rep types next replaces it."""
        self.search.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.box.selectAll()

    def _on_search_text_edited(self, text: str) -> None:
        self._apply(self.desk.search_edited(text))

    def _on_search_match_chosen(self, match: Match) -> None:
        opened = self.queue.current() if self.queue is not None else None
        if opened is not None and opened.prospect_id != match.prospect.id:
            self.queue.close_task()  # type: ignore[union-attr]
        self._apply(self.desk.open_prospect(who_of(match.prospect)))

    def _on_card_dial_requested(self, number: PhoneNumber) -> None:
        prospect = self.card.detail.prospect if self.card.detail is not None else None
        if prospect is None or self.desk.card is None or prospect.id != self.desk.card.id:
            return
        if self.desk.active_calls:
            self.call.show_error("Finish the current call before dialling another.")
            return
        if not self.prospect_actions.confirm_dial(number):
            return
        if not self._confirm_opted_out(prospect):
            return
        phone = Phone(number.id, number.number, number.extension)
        self._apply(self.desk.dial(phone, scheme=self.settings.get(s.DIAL_SCHEME)))

    def _confirm_opted_out(self, prospect: Prospect) -> bool:
        """Calling a prospect who opted out of calls asks first."""
        if not prospect.call_opted_out:
            return True
        answer = ask(
            self,
            "Opted out of calls",
            f"{isolate(prospect.name)} has opted out of calls. Call anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _on_call_dial_requested(self) -> None:
        target, shown = self.desk.dial_target, self.card.detail
        if (
            target is not None
            and not self.desk.active_calls
            and shown is not None
            and shown.prospect.id == target.id
            and not self._confirm_opted_out(shown.prospect)
        ):
            return
        self._apply(self.desk.dial())

    def _on_call_answer_requested(self) -> None:
        self._apply(self.desk.answer())

    def _on_call_hang_up_requested(self) -> None:
        self._apply(self.desk.hang_up())

    def _on_calls_call_chosen(self, call_id: str) -> None:
        self._apply(self.desk.switch(call_id))

    def _on_next_call_key(self) -> None:
        self._apply(self.desk.step(1))

    def _on_previous_call_key(self) -> None:
        self._apply(self.desk.step(-1))

    # -- the call tasks: work the list ----------------------------------------------------

    def attach_queue(self, queue: CallQueue) -> None:
        """Show and work the rep's call tasks (once); the day's count in the status bar."""
        self.queue = queue
        self.queue_panel.set_queue(queue)
        queue.changed.connect(self._on_queue_changed)
        queue.todayChanged.connect(self._on_queue_today_changed)
        queue.told.connect(self._on_queue_told)
        self._on_queue_changed()
        self._on_queue_today_changed(queue.today)

    def _on_queue_changed(self) -> None:
        queue = self.queue
        if queue is None or not queue.loaded:
            self.queue_label.setText("")
            return
        count = queue.count()
        self.queue_label.setText(f"{count} due")
        source = queue.source_text()
        set_tooltip(
            self.queue_label,
            f"{count} call task{'s' if count != 1 else ''} due today or overdue, "
            f"{queue.callable_count()} callable now"
            + (f". {source}" if source else "")
            + f". Next task: {keys.NEXT_TASK.label}",
        )

    def _on_queue_today_changed(self, today: DayTally) -> None:
        self.today_label.setText(today.short)
        set_tooltip(self.today_label, today.sentence)

    def _on_queue_told(self, text: str) -> None:
        self.log_message.setText(neutralise(text))

    def _zone_of_current(self) -> str:
        """The time zone of the prospect the call in the wrap-up is with ("" when unknown)."""
        current = self.desk.current
        if current is None or current.prospect is None:
            return ""
        detail = self._details.get(current.prospect.id)
        return detail.prospect.time_zone if detail is not None else ""

    def _on_next_task_key(self) -> None:
        """F8: the next call task's prospect on the card, the task linked to the next call."""
        if self.queue is None:
            self.statusBar().showMessage("The call tasks are not read yet.", 10_000)
            return
        item = self.queue.next_item()
        if item is None:
            self.statusBar().showMessage("No call tasks due.", 10_000)
            return
        self._open_task(item.task_id)

    def _on_queue_open_requested(self, task_id: int) -> None:
        self._open_task(task_id)

    def _open_task(self, task_id: int) -> None:
        busy = self.desk.active_calls
        if busy:
            self.call.show_error(
                f"A call with {busy[-1].who} is on: hang up before opening the next task."
            )
            return
        assert self.queue is not None
        item = self.queue.open(task_id)
        if item is None or item.prospect_id is None:
            self.statusBar().showMessage("That call task has no prospect to call.", 10_000)
            return
        if self.search.box.text():
            self.search.box.clear()
            self.search.show_results("", [])
        self._apply(self.desk.open_prospect(Who(item.prospect_id, item.who)))
        self.queue_panel.select_current()

    def _on_log_and_next_key(self) -> None:
        """Log & next: log the call in the wrap-up (its task done as the setting says), then
        open the next call task. With no call to log, the next task opens."""
        current = self.desk.current
        if current is not None and current.active:
            self.call.show_error(f"The call with {current.who} is on: hang up first.")
            return
        if current is not None and not self.log_current():
            return
        self._on_next_task_key()

    def _on_skip_task_key(self) -> None:
        if self._task_key_refused():
            return
        assert self.queue is not None
        skipped = self.queue.skip()
        if skipped is not None:
            self.statusBar().showMessage(f"Skipped {isolate(skipped.who)}.", 10_000)
        self._on_next_task_key()

    def _on_snooze_task_key(self) -> None:
        if self._task_key_refused():
            return
        assert self.queue is not None
        self.queue.snooze()
        self._on_next_task_key()

    def _on_reschedule_task_key(self) -> None:
        if self._task_key_refused():
            return
        assert self.queue is not None
        item = self.queue.current()
        assert item is not None
        dialog = CallbackDialog(
            item.who, item.time_zone, self.desk.clock.now(), reschedule=True, parent=self
        )
        accepted = dialog.exec() == CallbackDialog.DialogCode.Accepted
        dialog.deleteLater()  # one dialog each time: none kept
        if not accepted or dialog.chosen is None:
            return
        self.queue.reschedule(dialog.chosen, item.task_id)
        self._on_next_task_key()

    def _task_key_refused(self) -> bool:
        """Skip, snooze and reschedule act on the call task open on the card."""
        if self.queue is None or self.queue.current() is None:
            self.statusBar().showMessage(
                f"No call task is open: {keys.NEXT_TASK.label} opens the next one.", 10_000
            )
            return True
        return False

    def _on_call_back_key(self) -> None:
        """Call back: when to call the prospect of the call in the wrap-up again."""
        current = self.desk.current
        if current is None:
            self.wrapup.general_error.show_error(
                "A callback goes with a call: dial or answer one first."
            )
            return
        if current.prospect is None:
            self.wrapup.general_error.show_error(
                f"Who was the call with {current.who} with? Assign it before asking for a callback."
            )
            return
        zone = self._zone_of_current()
        dialog = CallbackDialog(
            current.prospect.name,
            zone,
            self.desk.clock.now(),
            current=self.callback_row.callback,
            parent=self,
        )
        accepted = dialog.exec() == CallbackDialog.DialogCode.Accepted
        dialog.deleteLater()  # one dialog each time: none kept
        if not accepted:
            return
        self.callback_row.set_zone(zone)
        if dialog.removed or dialog.chosen is None:
            self.callback_row.set_callback(None)
        else:
            self.callback_row.set_callback(Callback(dialog.chosen, dialog.note))
        self.log_button.setFocus()

    def _on_discard_button_clicked(self) -> None:
        reply = self.desk.discard()
        reply.say = ""  # the undo bar says it
        self._apply_to_wrap_up(reply)

    def _on_undo_button_clicked(self) -> None:
        self._apply_to_wrap_up(self.desk.undo_discard())

    def _on_assign_button_clicked(self) -> None:
        self._apply_to_wrap_up(self.desk.reassign())

    # -- for the prospect actions (`prospect_actions`) --------------------------------------

    def apply(self, reply: Reply) -> None:
        """Do what the desk answered, and show the desk."""
        self._apply(reply)

    def apply_to_wrap_up(self, reply: Reply) -> None:
        self._apply_to_wrap_up(reply)

    def is_looking_up(self, number: str) -> bool:
        return number == self._looking_up or number in self._lookups

    def detail_of(self, prospect_id: int) -> ProspectDetail | None:
        """The card's data read for this prospect, if it was."""
        return self._details.get(prospect_id)

    def keep_detail(self, detail: ProspectDetail) -> None:
        """The card's data changed by a write Outreach now has (no need to read it again)."""
        self._details[detail.prospect.id] = detail
        self.render()

    def reload_card(self, prospect_id: int) -> None:
        """Read the prospect's card again (it shows what Outreach has)."""
        self._apply(Reply(effects=[Load(prospect_id)]))

    def find_prospects(
        self,
        text: str,
        done: Callable[[str, list[Match]], None],
        failed: Callable[[str, str], None],
    ) -> None:
        """A picker's own search."""
        if self.lookup is None:
            failed(text.strip(), "Not connected to Outreach yet.")
            return
        self.lookup.find_prospects(text, done, failed)

    def _apply_to_wrap_up(self, reply: Reply) -> None:
        """A key on the call in the wrap-up: what it did (or why not) is said there."""
        if reply.say:
            self.log_message.setText(reply.say)
            reply.say = ""
        self._apply(reply, errors_to=self.wrapup.general_error)

    def _on_undo_timer_timeout(self) -> None:
        if self.desk.tick() or not self._render_undo():
            self.render()

    def _on_log_button_clicked(self) -> None:
        self.log_current()

    def log_current(self) -> bool:
        """Log the call in the wrap-up: True once the outbox has it (else the form says why)."""
        self.wrapup.clear_errors()
        self.call.error.clear_error()
        self._push_form()
        current = self.desk.current
        user = self.connection.user if self.connection is not None else None
        try:
            call = self.desk.compose(
                user_id=user.id if user else None, outcomes=self.wrapup.outcomes()
            )
        except CallValidationError as exc:
            self._show_errors(exc.errors)
            return False
        assert current is not None
        callback = Callback.from_form(current.form)
        problem = callback.problem(self.desk.clock.now()) if callback is not None else ""
        if problem:
            self.callback_row.error.show_error(problem)
            return False
        then: tuple[Step, ...] = ()
        zone = self._zone_of_current()
        if callback is not None:
            from ..services.queue import callback_after_call

            prospect = call.relationships.prospect
            if prospect is None:
                self.callback_row.error.show_error(
                    "A callback needs the prospect: assign the call before logging it."
                )
                return False
            try:
                step = callback_after_call(
                    prospect.id,
                    callback.at,
                    callback.note,
                    owner_id=user.id if user else None,
                    zone=zone,
                    summary=current.who,
                )
            except ValueError as exc:  # the form is kept: the rep changes the callback
                self.callback_row.error.show_error(f"The callback cannot be saved: {exc}")
                return False
            then = (step,)
        entry = self.logbook.log_call(call, summary=current.who, needs=current.needs, then=then)
        if entry is not None and callback is not None:
            when = describe_callback(callback.at, zone)
            self.log_message.setText(
                f"Call with {_who(entry.summary)} saved, and a callback {when}; syncing…"
            )
        return entry is not None

    def _show_errors(self, errors: list[FieldError]) -> None:
        time_errors = [e for e in errors if e.field in TIME_FIELDS]
        if time_errors:
            self.call.show_error(" ".join(e.message for e in time_errors))
        self.wrapup.show_errors([e for e in errors if e.field not in TIME_FIELDS])

    # -- from outside: links and softphone events -------------------------------------------

    def open_uri(self, text: str) -> bool:
        """A tel:/callto:/sip: link the OS handed us: look the number up, ready to dial. A call
        in progress keeps its prospect; the card shows the number's."""
        try:
            target = parse_uri(text, region=self.settings.get(s.REGION))
        except UriError as exc:
            self.log_message.setText(f"Not opened: {neutralise(str(exc))}")
            self.statusBar().showMessage(f"Not opened: {neutralise(str(exc))}", 10_000)
            return False
        self.bring_to_front(activate=True)
        self._link_number = target.number
        self._apply(self.desk.open_number(target.number))
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
        """What the softphone reported (hook command or Baresip) goes to the desk."""
        reply = self.desk.softphone(event)
        if reply.say:
            log.info("softphone %s: %s", event.kind, reply.say)
        self._apply(reply)

    # -- doing what the desk says, showing what it holds ------------------------------------

    def _apply(self, reply: Reply, *, errors_to: object = None) -> None:
        if reply.error:
            target = errors_to if errors_to is not None else self.call.error
            target.show_error(reply.error)  # type: ignore[attr-defined]
        else:
            self.call.error.clear_error()
            if errors_to is not None:
                errors_to.clear_error()  # type: ignore[attr-defined]
        if reply.say:
            self.statusBar().showMessage(reply.say, 15_000)
        wrap_up = False
        for effect in reply.effects:
            if isinstance(effect, LookUp):
                if effect.number not in self._lookups and effect.number != self._looking_up:
                    self._lookups.append(effect.number)
            elif isinstance(effect, Load):
                self._details.pop(effect.prospect_id, None)
                if effect.prospect_id not in self._loads and effect.prospect_id != self._loading:
                    self._loads.append(effect.prospect_id)
            elif isinstance(effect, HandOff):
                self._hand_off_link(effect.uri)
            elif isinstance(effect, Pop):
                self._screen_pop(effect.number)
            elif isinstance(effect, StartWrapUp):
                wrap_up = True
        self.render()
        self._next_load()
        self._next_lookup()
        if wrap_up:
            if self.compact:
                self._show_full_layout(True)  # wrapping up needs the whole form
            self.wrapup.disposition.setFocus()

    def _hand_off_link(self, uri: str) -> None:
        if not self._hand_off(uri):
            scheme, _, rest = uri.partition(":")
            self.log_message.setText(
                f"No app on this computer opens {scheme}: links; dial {rest} in your "
                "softphone. The timer is running."
            )

    def _next_load(self) -> None:
        """Cards are read one at a time (a newer read would cancel the one in flight)."""
        if not self._connected or self._loading is not None or not self._loads:
            return
        self._loading = self._loads.pop(0)
        self.lookup.open_prospect(self._loading)

    def _next_lookup(self) -> None:
        if not self._connected or self._looking_up is not None or not self._lookups:
            return
        self._looking_up = self._lookups.pop(0)
        self.lookup.find_number(self._looking_up)

    def render(self) -> None:  # type: ignore[override]  # QWidget.render (into a device): unused
        """Show the desk as it is: the phone, the calls, the wrap-up, the card."""
        desk = self.desk
        self.call.refresh()
        self.calls.show_desk(desk)
        current = desk.current
        if current is None:
            self.wrap_title.setText("No call yet: what you type here goes with the next call.")
        else:
            state = current.status() if current.over else "in progress"
            self.wrap_title.setText(f"Call with {current.who} — {state}")
        if desk.current_id != self._form_call:
            self._show_form()
        self._show_sequence()
        card = desk.card
        differs = (
            current is not None
            and card is not None
            and (current.prospect is None or current.prospect.id != card.id)
        )
        self.assign_button.setVisible(differs)
        if differs and card is not None and current is not None:
            self.assign_button.setText(
                f"Assign this call to {isolate(card.name)} ({keys.REASSIGN.label})"
            )
            set_tooltip(
                self.assign_button,
                f"Wrong person: the call with {current.who} was with {isolate(card.name)}",
            )
        self.discard_button.setEnabled(current is not None and not current.active)
        self.prospect_actions.render()
        self.queue_panel.set_folded(bool(desk.open_calls))  # the call gets the room
        if self._render_undo():
            self._undo_timer.start()
        else:
            self._undo_timer.stop()
        self._render_card()
        if desk.revision != self._saved_revision:
            self.save_draft()

    def _render_undo(self) -> bool:
        """The undo bar while a discard can be undone, with the seconds left; False when not."""
        left = self.desk.undo_left()
        gone = self.desk.last_discarded
        showing = left > 0 and gone is not None
        self.undo_bar.setVisible(showing)
        if showing and gone is not None:
            self.undo_label.setText(
                f"Call with {gone.who} discarded. Undo ({keys.UNDO_DISCARD.label}) "
                f"for {math.ceil(left):.0f} s."
            )
        return showing

    def _show_form(self) -> None:
        """The wrap-up form now belongs to another call: show that call's (unless it is what
        the form holds already: a call that took what was typed before it, the cursor stays)."""
        self._form_call = self.desk.current_id
        if clean_form(self._form_state()) == self.desk.form:
            return
        self._restoring = True
        try:
            self.wrapup.clear()
            self.wrapup.restore(self.desk.form)
            self.callback_row.restore(self.desk.form, self._zone_of_current())
        finally:
            self._restoring = False

    def _show_sequence(self) -> None:
        current = self.desk.current
        if current is None:  # the form is for the next call: with the card's prospect, likely
            target = self.desk.dial_target
            links = self.desk.links_for(target.id) if target is not None else None
            self.wrapup.set_sequence_available(links.in_sequence if links else False)
        elif current.links is None:
            self.wrapup.set_sequence_available(None if current.prospect is not None else False)
        else:
            self.wrapup.set_sequence_available(current.links.in_sequence)
        if not self._restoring:
            self._push_form()

    def _render_card(self) -> None:
        desk = self.desk
        card = desk.card
        if card is None and self.prospect_actions.show_pending_card():
            return
        if card is None:
            if desk.card_number:
                if self.card.detail is not None or self.card.name.text() != pretty(
                    desk.card_number
                ):
                    self.card.show_loading(pretty(desk.card_number))
            elif self.card.detail is not None:
                self.card.clear_prospect()
            return
        detail = self._details.get(card.id)
        if detail is not None:
            detail = self.prospect_actions.shown(detail)  # what the outbox is writing shows
        if detail is None:
            if self.card.detail is not None or self.card.name.text() != one_line(card.name):
                self.card.show_loading(card.name)
        elif self.card.detail is not detail:
            self.card.show_detail(detail)
        names = self.lookup.disposition_names if self.lookup is not None else {}
        lines = [
            LoggedLine(
                at=logged.at,
                what=names.get(logged.disposition_id or 0, "") or logged.outcome,
                inbound=logged.direction == "inbound",
                state={"queued": "queued", "refused": "refused: see the outbox"}.get(
                    logged.state, f"sent (call {logged.outreach_id})"
                ),
                outreach_id=logged.outreach_id,
            )
            for logged in reversed(desk.logged)
            if logged.prospect_id == card.id
        ]
        self.card.set_logged(lines, desk.worked_tasks)

    def _screen_pop(self, number: str) -> None:
        """An incoming call: show who it is without taking the keyboard from the rep."""
        label = pretty(number) if number else "an unknown number"
        if self.compact:
            if self.toast is None:
                self.toast = Toast(self)
            self.toast.show_text(f"Incoming call from {label}", self)
        self.bring_to_front(activate=False)

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
                frame = body.frameWidth() if isinstance(body, QScrollArea) else 0
                extra = self.statusBar().sizeHint().height() + frame * 2 + 4
                self.resize(self.width(), content.sizeHint().height() + extra)
        else:
            self.resize(self._full_size)

    def _show_full_layout(self, full: bool) -> None:
        self._wrap_box.setVisible(full)
        self.card.set_compact(not full)
        self.queue_panel.set_compact(not full)

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

    def _form_state(self) -> dict[str, object]:
        state = self.wrapup.state()
        state.update(self.callback_row.state())
        if self.wrapup.disposition.count() == 0:  # the org's lists have not come: keep the ids
            saved = self.desk.form
            state["disposition_id"] = saved.get("disposition_id")
            state["purpose_id"] = saved.get("purpose_id")
        return state

    def _push_form(self) -> None:
        if not self._restoring:
            self.desk.set_form(self._form_state())

    def _on_wrapup_changed(self) -> None:
        """Every keystroke reaches the disk at once (a crash or a kill loses nothing); the
        flush that also survives a power cut follows within DRAFT_DEBOUNCE_MS (one per
        DRAFT_DEBOUNCE_MS while the rep types)."""
        if self._restoring:
            return
        before = self.desk.revision
        self._push_form()
        if self.drafts is None or self.desk.revision == before:
            return
        self.save_draft(durable=False)
        self._draft_flush()

    def save_draft(self, durable: bool = True) -> None:
        """Save the desk: every call, its times, its prospect, its wrap-up; the card."""
        self._saved_revision = self.desk.revision
        if self.drafts is None or not self._restored:
            return
        if durable:
            self._draft_flush.cancel()
        try:
            self.drafts.save(self.desk.to_data(), durable=durable)
        except OSError as exc:
            why = neutralise(str(exc))
            self.log_message.setText(f"The calls in progress could not be saved: {why}")

    def restore_draft(self) -> None:
        """Put back the calls that were in progress when the app last stopped."""
        self._restored = True
        if self.drafts is None:
            return
        desk = self.drafts.load_desk(self.desk.clock, is_logged=self.logbook.is_logged)
        for notice in self.drafts.notices:  # a note or a draft set aside: said in the notice bar
            self.notices.add(notice)
        if desk is not None:
            self.desk = desk
            self.call.desk = desk
            self._form_call = "?"
            count = len(desk.open_calls)
            if count:
                self.log_message.setText(
                    f"Reopened {count} call{'s' if count != 1 else ''} that "
                    f"{'were' if count != 1 else 'was'} in progress when the app stopped."
                )
            self._apply(desk.resume())

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_state()
        self.closed.emit()
        super().closeEvent(event)


def _who(summary: str) -> str:
    """The prospect a logged call was with, for a sentence of the app's own."""
    return isolate(summary) if summary else "the prospect"
