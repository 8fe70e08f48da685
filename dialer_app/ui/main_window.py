"""The rep's window: find → card → call → wrap-up → log, with the connection in the status bar.

The calls themselves live in the call desk (`core.desk`): the window forwards what the rep,
the softphone and the service say to it, does what it answers (look a number up, load a card,
hand a link to the softphone), and renders it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMainWindow, QVBoxLayout, QWidget

from .. import APP_NAME
from ..core.phone import pretty
from ..core.text import isolate, neutralise, one_line
from .search_panel import SearchPanel
from .text import ask, set_tooltip

# The frame (the search box, the window's size and place) is built and painted with the
# imports above alone; `MainWindow.build` loads the parts (card, call, wrap-up, call tasks,
# status bar and menu) after that paint, and the methods for them load what they use.
if TYPE_CHECKING:
    import concurrent.futures

    from PySide6.QtGui import QCloseEvent, QResizeEvent, QShortcut

    from ..core import settings as s
    from ..core.desk import CallDesk, Links, LookUp, Reply, Who
    from ..core.drafts import DraftStore
    from ..core.outbox import Counts, Entry, Step
    from ..core.outreach.detail import ProspectDetail
    from ..core.outreach.models import Disposition, Match, PhoneNumber, Prospect, Purpose, User
    from ..core.softphone.events import CallEvent
    from ..core.terms import FieldError
    from ..core.today import DayTally
    from ..services.connection import Connection
    from ..services.hotkeys import GlobalHotkeys
    from ..services.logbook import Logbook, OutboxChange
    from ..services.lookup import Lookup
    from ..services.queue import CallQueue
    from ..services.session import Services
    from . import shortcuts as keys
    from .diagnostics import DiagnosticsDialog
    from .outbox_view import OutboxDialog
    from .settings_dialog import SettingsDialog
    from .toast import Toast

log = logging.getLogger(__name__)

WARM_MS = 200  # the search list made ready this long after the window is built
BACKLOG_SAY_MS = 250  # calls of a drained backlog: said at most this often
DRAFT_DEBOUNCE_MS = 300
UNDO_TICK_MS = 500
REFERENCE_MAX_AGE_S = 600.0  # the org's lists are read again on focus after this long
FULL_SIZE = QSize(460, 860)
TIME_FIELDS = {"dialedAt", "answeredAt", "completedAt", "returnedAt", "direction"}


def open_with_os(uri: str) -> bool:
    """Hand a tel:/callto:/sip: link to whatever the OS has registered for it."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return QDesktopServices.openUrl(QUrl(uri))


def links_of(detail: ProspectDetail) -> Links:
    """What a call with this prospect belongs to: the open call task, else the sequence."""
    from ..core.desk import Links

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
    from ..core.desk import Who

    return Who(prospect.id, prospect.name)


def default_size(widget: QWidget) -> QSize:
    """460 × 860, or less where the screen has less room (a laptop at 200 %)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(FULL_SIZE)
    room = screen.availableGeometry()
    frame = 40  # the title bar and borders the window manager adds
    return QSize(
        min(FULL_SIZE.width(), room.width()), min(FULL_SIZE.height(), room.height() - frame)
    )


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
        desk: CallDesk | None,
        drafts: DraftStore | None = None,
        settings: s.Settings | None = None,
        hand_off: Callable[[str], bool] | None = None,
        state_file: Path | None = None,
    ) -> None:
        """The whole window on `desk`. With `desk` None, only its frame — the title, the search
        box, the size and place it had — until `build(desk, …)` adds the rest: the app paints
        that frame before the rest of the window (and everything else) has loaded."""
        super().__init__()
        self._state = QSettings(str(state_file), QSettings.Format.IniFormat) if state_file else None
        self.compact = False
        self._full_size = default_size(self)
        # Set by attach(): the window holds the three services, never a store of theirs.
        self.connection: Connection = None  # type: ignore[assignment]
        self.lookup: Lookup = None  # type: ignore[assignment]
        self.logbook: Logbook = None  # type: ignore[assignment]
        self.hotkeys: GlobalHotkeys | None = None
        self.queue: CallQueue | None = None  # the call tasks: set by attach_queue()
        self.toast: Toast | None = None
        self.built = False
        self._org = ""  # the org's name, cut in the status bar to the room left
        self._reference_at: float | None = None  # when the org's lists came (monotonic)
        self.setWindowTitle(APP_NAME)
        self.setObjectName("main-window")
        self.search = SearchPanel(self, box_only=True)
        frame = QWidget(self)  # laid out as the whole window will be; build() replaces it
        layout = QVBoxLayout(frame)
        layout.addWidget(self.search)
        layout.addStretch(1)  # the box at the top, where it stays
        self.setCentralWidget(frame)
        self._restore_geometry()
        self.search.box.setFocus()
        if desk is not None:
            self.build(desk, drafts, settings, hand_off)
        if services is not None:
            self.attach(services)

    def build(
        self,
        desk: CallDesk,
        drafts: DraftStore | None = None,
        settings: s.Settings | None = None,
        hand_off: Callable[[str], bool] | None = None,
    ) -> None:
        """The rest of the window around the frame's search box (once): its icon, the card,
        the call, the wrap-up, the call tasks, the status bar, the menu and the keys; then
        compact mode as it was left."""
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtWidgets import (
            QFrame,
            QGroupBox,
            QHBoxLayout,
            QMenu,
            QPushButton,
            QScrollArea,
            QToolButton,
        )

        from ..core import settings as s
        from ..services.throttle import Throttle
        from . import shortcuts as keys
        from .call_panel import CallPanel
        from .callback import CallbackRow
        from .card import ProspectCard
        from .compact import CompactWrapUp
        from .desk_view import CallsBar
        from .notices import NoticeBar
        from .prospect_actions import ProspectActions
        from .queue_panel import QueuePanel
        from .resources import app_icon
        from .widgets import ValueLabel
        from .wrapup_form import WrapUpForm

        assert not self.built, "the window is built once"
        self.setWindowIcon(app_icon())
        self.desk = desk
        self.drafts = drafts
        self.settings = settings or s.Settings()
        self.keymap = keys.KeyMap(self.settings.shortcuts())
        self._hand_off = hand_off or open_with_os
        self._restoring = False
        self._connected = False
        self._details: dict[int, ProspectDetail] = {}  # the cards read so far, by prospect
        self._loads: list[int] = []  # cards to read, one at a time
        self._loading: int | None = None
        self._lookups: list[LookUp] = []  # numbers (and extensions) to look up, one at a time
        self._looking_up: str | None = None
        self._link_number = ""  # a number a link opened: say how to call it once found
        self._form_call: str | None = "?"  # the call whose form the widgets show
        self._saved_revision = desk.revision
        self._restored = False  # nothing is saved before the saved desk came back
        self._who = ""  # who is signed in, where: for tooltips and the menu
        self._token_health = ""

        self.search.add_results()
        self.card = ProspectCard(self.settings, desk.clock.now, self)
        self.call = CallPanel(desk, self)
        self.calls = CallsBar(self)
        self.wrap_title = ValueLabel("Wrap-up call", self, object_name="wrap-title")
        self.wrap_title.setWordWrap(True)
        self.wrapup = WrapUpForm(self)
        self.queue_panel = QueuePanel(self)
        self.callback_row = CallbackRow(self)
        self.log_next_button = QPushButton("Log && next", self)
        self.log_next_button.setAccessibleName("Log and next")
        self.log_next_button.setToolTip(f"{keys.LOG_AND_NEXT.action} ({keys.LOG_AND_NEXT.label})")
        self.log_button = QPushButton("Log call", self)
        self.log_button.setAccessibleName("Log call")
        self.log_button.setDefault(True)
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setAccessibleName("Discard call")
        self.assign_button = QPushButton(self)
        self.assign_button.setAccessibleName("Assign call")
        self.assign_button.hide()
        self.undo_label = ValueLabel("Discarded call", self, object_name="undo-message")
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setAccessibleName("Undo discard")
        # What the app has to say (a call saved, sent, refused, a softphone event): one place
        # in both modes, read out by screen readers as it changes.
        self.log_message = ValueLabel(
            "Messages", self, announce=True, object_name="log-message", autohide=True
        )
        self.log_message.setWordWrap(True)
        self.compact_wrap = CompactWrapUp(self.wrapup, self)
        self.compact_wrap.hide()

        call_box = QGroupBox("Call", self)
        call_layout = QVBoxLayout(call_box)
        call_layout.addWidget(self.call)
        call_layout.addWidget(self.calls)
        call_layout.addWidget(self.compact_wrap)
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

        self.prospect_actions = ProspectActions(self)  # unknown callers, bad numbers, opt-outs
        wrap_layout.insertWidget(
            wrap_layout.indexOf(self.assign_button), self.prospect_actions.hygiene_bar
        )
        # Pinned above: what the app could not read, and the search with its matches; below:
        # the undo bar and the messages. Between them the call tasks, the card, the call and
        # the wrap-up scroll: the search box and its matches never scroll out of sight.
        self.notices = NoticeBar(self)  # what the app could not read or open, said once
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.queue_panel)
        layout.addWidget(self.card)
        layout.addWidget(self.prospect_actions.unknown_bar)
        layout.addWidget(call_box)
        layout.addWidget(wrap_box)
        layout.addStretch(1)
        self.body_scroll = QScrollArea(self)
        self.body_scroll.setObjectName("window-body")
        self.body_scroll.setWidgetResizable(True)
        self.body_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body_scroll.setWidget(body)
        self._body = body
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.addWidget(self.notices)
        outer.addWidget(self.search)
        outer.addWidget(self.body_scroll, 1)
        outer.addWidget(self.undo_bar)
        outer.addWidget(self.log_message)
        frame = self.takeCentralWidget()  # the frame's container, empty now
        if frame is not None:
            frame.setParent(None)  # deleted with its last reference
        self.setCentralWidget(central)

        # The status bar says where the app stands in a few words that always fit; who is
        # signed in, the token and the sync details are in tooltips and the ☰ menu.
        self.mode_label = ValueLabel("Connected to", self, object_name="mode")
        self.connection_label = ValueLabel(
            "Connection", self, announce=True, object_name="connection"
        )
        self.connection_label.setText("Connecting…")
        self.outbox_label = ValueLabel("Sync status", self, object_name="outbox")
        self._sync_kind = ""  # what a screen reader was last told of the sync
        self.statusBar().addWidget(self.mode_label)
        self.statusBar().addWidget(self.connection_label)
        self.outbox_dialog: OutboxDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.account_button = QToolButton(self)
        self.account_button.setText("Sign in…")
        self.account_button.setAccessibleName("Accounts")
        self.account_button.setToolTip("Sign in to your Outreach org; profiles; sign out")
        self.account_button.setAutoRaise(True)
        self.account_button.clicked.connect(self.accountsRequested.emit)
        # The rest sits in one menu: a 460 px status bar has room for the state, not for buttons.
        menu = QMenu(self)
        self.who_action = menu.addAction("Connecting…")
        self.who_action.setEnabled(False)
        self.sync_action = menu.addAction("")
        self.sync_action.setEnabled(False)
        menu.addSeparator()
        self.outbox_action = menu.addAction("Outbox…", self.show_outbox)
        self.outbox_action.setToolTip("Every logged call and what happened to it")
        self.compact_action = menu.addAction("Compact mode")
        self.compact_action.setCheckable(True)
        self.compact_action.toggled.connect(self.set_compact)
        menu.addSeparator()
        self.accounts_action = menu.addAction("Accounts…", self.accountsRequested.emit)
        self.settings_action = menu.addAction("Settings…", self.show_settings)
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
        self.menu_button.setAutoRaise(True)
        self.menu_button.setMenu(menu)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # "7 due": the call tasks left today; "Today 12/60": calls so far (of the goal)
        self.queue_label = ValueLabel(
            "Call tasks due", self, object_name="queue-count", autohide=True
        )
        self.today_label = ValueLabel("Today's calls", self, object_name="today", autohide=True)
        self.statusBar().addPermanentWidget(self.queue_label)
        self.statusBar().addPermanentWidget(self.today_label)
        self.statusBar().addPermanentWidget(self.account_button)
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.statusBar().addPermanentWidget(self.menu_button)
        self.statusBar().setSizeGripEnabled(False)  # its room goes to the words

        self._key_bindings: list[QShortcut] = []
        self._wrap_box = wrap_box
        self._call_box = call_box
        self.apply_keys()

        self.search.matchChosen.connect(self._on_search_match_chosen)
        self.search.shapeChanged.connect(self._fit_compact)
        self.search.shapeChanged.connect(self._fold_queue)
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
        self.compact_wrap.logRequested.connect(self._on_log_button_clicked)
        self.compact_wrap.fullRequested.connect(self.toggle_compact)
        self._backlog_sent: list[tuple[str, int]] = []  # calls sent not yet said
        self._say_backlog = Throttle(self._on_say_backlog, BACKLOG_SAY_MS, parent=self)
        self._draft_flush = Throttle(
            self._flush_draft, DRAFT_DEBOUNCE_MS, leading=False, parent=self
        )
        self._undo_timer = QTimer(self)
        self._undo_timer.setInterval(UNDO_TICK_MS)
        self._undo_timer.timeout.connect(self._on_undo_timer_timeout)
        self.wrapup.connect_changed(self._on_wrapup_changed)
        self.callback_row.connect_changed(self._on_wrapup_changed)
        self.built = True
        self._restore_compact()
        self.search.box.setFocus()
        self.render()
        warm = QTimer(self)  # the list made ready before the first answer, after the paint
        warm.setSingleShot(True)
        warm.timeout.connect(self.search.warm)
        warm.start(WARM_MS)

    # -- keys -------------------------------------------------------------------------------

    def apply_keys(self) -> None:
        """Bind the shortcuts as the settings say, and say them in every tooltip."""
        from PySide6.QtGui import QKeySequence, QShortcut

        from . import shortcuts as keys

        self.keymap = keys.KeyMap(self.settings.shortcuts())
        for old in self._key_bindings:
            old.setEnabled(False)
            old.deleteLater()
        self._key_bindings = []
        actions: dict[str, Callable[[], object]] = {
            keys.FIND.id: self._on_find_key,
            keys.DIAL.id: self.call.dial.animateClick,
            keys.ANSWERED.id: self.call.answered.animateClick,
            keys.HANG_UP.id: self.call.hang_up.animateClick,
            keys.LOG.id: self._on_log_button_clicked,
            keys.NEXT_CALL.id: self._on_next_call_key,
            keys.PREVIOUS_CALL.id: self._on_previous_call_key,
            keys.NEXT_TASK.id: self._on_next_task_key,
            keys.LOG_AND_NEXT.id: self._on_log_and_next_key,
            keys.SKIP_TASK.id: self._on_skip_task_key,
            keys.SNOOZE_TASK.id: self._on_snooze_task_key,
            keys.RESCHEDULE_TASK.id: self._on_reschedule_task_key,
            keys.CALL_BACK.id: self._on_call_back_key,
            keys.CREATE_PROSPECT.id: self.prospect_actions.create_prospect,
            keys.ADD_NUMBER.id: self.prospect_actions.add_number,
            keys.REFER.id: self.prospect_actions.refer,
            keys.BAD_NUMBER.id: self.prospect_actions.bad_number,
            keys.OPT_OUT.id: self.prospect_actions.opt_out,
            keys.DISCARD.id: self._on_discard_button_clicked,
            keys.UNDO_DISCARD.id: self._on_undo_button_clicked,
            keys.REASSIGN.id: self._on_assign_button_clicked,
            keys.OUTBOX.id: self.show_outbox,
            keys.COMPACT.id: self.toggle_compact,
            keys.SETTINGS.id: self.show_settings,
        }
        for shortcut in keys.ALL:
            slot = actions.get(shortcut.id)
            if slot is None:
                continue
            for sequence in self.keymap.keys(shortcut):
                binding = QShortcut(QKeySequence(sequence), self)
                binding.activated.connect(slot)
                self._key_bindings.append(binding)
        label = self.keymap.label
        self.call.set_keys(self.keymap)
        self.calls.set_keys(self.keymap)
        self.compact_wrap.set_keys(self.keymap)
        self.prospect_actions.hygiene_bar.set_keys(self.keymap)
        for widget, text, shortcut in (
            (self.log_button, "Log call", keys.LOG),
            (
                self.discard_button,
                "Throw this call away without logging it",
                keys.DISCARD,
            ),
            (self.undo_button, "Bring the call back", keys.UNDO_DISCARD),
        ):
            widget.setToolTip(f"{text} ({label(shortcut)})")
            widget.setAccessibleDescription(label(shortcut))
        self.outbox_action.setText(f"Outbox…\t{label(keys.OUTBOX)}")
        self.compact_action.setText(f"Compact mode\t{label(keys.COMPACT)}")
        self.settings_action.setText(f"Settings…\t{label(keys.SETTINGS)}")
        self.menu_button.setToolTip(
            f"Outbox ({label(keys.OUTBOX)}), compact mode ({label(keys.COMPACT)}), "
            f"settings ({label(keys.SETTINGS)}), help and diagnostics"
        )

    def set_hotkeys(self, hotkeys: GlobalHotkeys | None) -> None:
        """The global shortcuts this platform offers (None where it has none)."""
        if self.hotkeys is not None:
            self.hotkeys.triggered.disconnect(self._on_hotkeys_triggered)
            self.hotkeys.close()
        self.hotkeys = hotkeys
        if hotkeys is not None:
            hotkeys.triggered.connect(self._on_hotkeys_triggered)
        self.apply_global_keys()

    def global_keys(self, keymap: keys.KeyMap | None = None) -> dict[str, str]:
        """Action → key of each global shortcut as the settings say (none while they are off)."""
        from ..core import settings as s
        from . import shortcuts as keys

        keymap = keymap or self.keymap
        if not self.settings.get(s.GLOBAL_SHORTCUTS):
            return {}
        return {sc.twin: keymap.text(sc) for sc in keys.GLOBAL if keymap.text(sc)}

    def apply_global_keys(self) -> dict[str, str]:
        """Grab the global shortcuts as the settings say; what could not be had, said."""
        if self.hotkeys is None:
            return {}
        problems = self.hotkeys.apply(self.global_keys())
        if problems:
            self.say("Global shortcuts not set: " + " ".join(problems.values()))
        return problems

    def _on_hotkeys_triggered(self, action: str) -> None:
        """A global shortcut, pressed in another app: the same as the window's button."""
        log.info("global shortcut: %s", action)
        if action == "dial":
            self._on_call_dial_requested()
        elif action == "answered":
            self._on_call_answer_requested()
        elif action == "hang_up":
            self._on_call_hang_up_requested()
        elif action == "log":
            self._on_log_button_clicked()
        if self.call.error.text() or self.wrapup.general_error.text():
            self.bring_to_front(activate=False)  # something to read: in sight, focus left alone

    def say(self, text: str) -> None:
        """Tell the rep something (read out by screen readers): the message area. Every message
        goes through here: a compact window grows by the message's lines instead of squeezing
        the call above it."""
        self.log_message.setText(text)
        if self.compact:
            self._fit_compact()

    # -- size -------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_status()
        # The matches take at most 45 % of the window: the card stays in sight below them.
        self.search.set_room(int(self.height() * 0.45))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self._refresh_reference_if_old()

    def _refresh_reference_if_old(self) -> None:
        """Back to the window after a while: the org's lists may have changed meanwhile."""
        if self.lookup is None or self._reference_at is None:
            return
        if self.desk.clock.monotonic() - self._reference_at >= REFERENCE_MAX_AGE_S:
            self._reference_at = self.desk.clock.monotonic()  # asked once, not on every focus
            self.lookup.refresh_reference()

    def set_hand_off(self, hand_off: Callable[[str], bool]) -> None:
        """How click-to-dial reaches the softphone (the OS by default)."""
        self._hand_off = hand_off

    def attach(self, services: Services) -> None:
        """Connect the window to its services (once). Until then it shows, but does nothing.

        The app paints the window first and attaches the services after, so the rep sees the
        window before the network stack has even loaded. The calls saved when the app last
        stopped come back here (the outbox says which of them were logged already).
        """
        assert self.built, "build() the window before attaching its services"
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
        lookup.recentFound.connect(self.search.show_local)
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
        self.connection_label.setStyleSheet("")
        self.connection_label.setText("Connecting…")
        self.connection_label.show()
        self.mode_label.hide()  # one of the two: where the app is connected, or how it stands
        set_tooltip(self.connection_label, neutralise(what))
        self.who_action.setText(neutralise(what).replace("&", "&&"))
        self._fit_status()

    def _on_service_connected(self, user: User, label: str) -> None:
        from PySide6.QtCore import Qt

        demo = label == "Demo"
        self._connected = True
        self._next_load()
        self._next_lookup()
        self.connection_label.setText("")
        self.connection_label.hide()
        self.mode_label.show()
        # Bold markup only around the app's own word; an org's name is shown as plain text,
        # cut to a width that leaves the rest of the status bar its room.
        rich, plain_text = Qt.TextFormat.RichText, Qt.TextFormat.PlainText
        self.mode_label.setTextFormat(rich if demo else plain_text)
        org = one_line(label)
        self._org = "" if demo else org
        self.mode_label.setText("<b>Demo</b>" if demo else org)
        self._who = f"{isolate(user.name)} ({one_line(user.email)}) in {isolate(label)}"
        where = (
            "Demo mode: a local Outreach sandbox with sample data; nothing reaches a real org. "
            if demo
            else ""
        )
        set_tooltip(self.mode_label, f"{where}Signed in as {self._who}.")
        self.mode_label.setAccessibleDescription(
            f"{'Demo' if demo else org}. Signed in as {self._who}"
        )
        self.setWindowTitle(f"{APP_NAME} — {org}")
        self.account_button.setText("Sign in…" if demo else "Account")
        self._show_who()
        self._fit_status()

    def _show_who(self) -> None:
        """Who is signed in where, and how the sign-in stands: the menu's first line and the
        account button's tooltip."""
        health = self._token_health
        who = f"Signed in as {self._who}" if self._who else "Not signed in"
        line = f"{who} — {health}" if health else who
        self.who_action.setText(line.replace("&", "&&"))  # a menu takes & for a mnemonic
        tip = "Sign in to your Outreach org; profiles; sign out."
        set_tooltip(self.account_button, f"{tip} {health}." if health else tip)
        self.account_button.setAccessibleDescription(health)
        self._fit_status()

    def _on_service_token_changed(self, health: str) -> None:
        self._token_health = health
        again = health == "Sign in again"
        self.account_button.setText("Sign in again" if again else "Account")
        self.account_button.setStyleSheet("color: #b3261e; font-weight: bold;" if again else "")
        self._show_who()

    def _on_service_sign_in_required(self, message: str) -> None:
        self._on_service_token_changed("Sign in again")
        text = f"{neutralise(message)} Calls wait in the outbox until you sign in (Accounts)."
        set_tooltip(self.account_button, text)
        self.account_button.setAccessibleDescription(text)
        self.say(text)

    def _on_service_connection_failed(self, message: str) -> None:
        self.connection_label.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.connection_label.setText("Offline")
        self.connection_label.show()
        self.mode_label.hide()
        text = f"Not connected: {neutralise(message)}"
        set_tooltip(self.connection_label, text)
        self.connection_label.setAccessibleDescription(text)
        self.who_action.setText(text.replace("&", "&&"))
        self.say(text)
        self._fit_status()

    def _on_service_reference_loaded(
        self, dispositions: list[Disposition], purposes: list[Purpose]
    ) -> None:
        """The org's dispositions and purposes (again): what was picked stays picked, unless
        Outreach no longer has it — then the rep is told to pick again."""
        self._reference_at = self.desk.clock.monotonic()
        form = self.desk.form
        self._restoring = True
        try:
            self.wrapup.set_reference(dispositions, purposes)
            self.wrapup.restore(form)  # ids picked before the lists came
        finally:
            self._restoring = False
        gone = [
            what
            for what, key, known in (
                ("disposition", "disposition_id", {d.id for d in dispositions}),
                ("purpose", "purpose_id", {p.id for p in purposes}),
            )
            if form.get(key) is not None and form.get(key) not in known
        ]
        if gone:
            self._push_form()
            self.say(
                f"The {' and the '.join(gone)} picked for this call "
                f"{'are' if len(gone) > 1 else 'is'} no longer in Outreach: pick again."
            )

    def _on_service_prospect_loaded(self, detail: ProspectDetail) -> None:
        from ..core.desk import Phone

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
        from ..core.desk import Load

        if number == self._looking_up:
            self._looking_up = None
        label = self.desk.card_label if self.desk.card_number == number else pretty(number)
        reply = self.desk.number_found(number, [who_of(m.prospect) for m in matches])
        card_asked = bool(reply.say) or any(isinstance(e, Load) for e in reply.effects)
        self._apply(reply)
        if card_asked and len(matches) > 1:
            self.card.show_message(reply.say)
            if not self.search.box.hasFocus():  # never rewrite what the rep is typing
                self.search.box.setText(label)  # with the extension the matches are ranked by
                self.search.show_results(label, matches)
        elif card_asked and not matches:
            self.card.show_message(reply.say)
        if len(matches) == 1:
            who = isolate(matches[0].prospect.name)
            if self.toast is not None and self.toast.isVisible():
                self.toast.set_text(f"Incoming call: {who} ({pretty(number)})")
            if number == self._link_number:
                self.say(f"{pretty(number)}: click the number (or Alt+1…) to call.")
        if number == self._link_number:
            self._link_number = ""
        self._next_lookup()

    def _on_service_number_failed(self, number: str, message: str) -> None:
        if number == self._looking_up:
            self._looking_up = None
        if self.desk.card_number == number:
            self.card.show_message(f"Could not look up {self.desk.card_label}: {message}")
        self.desk.number_failed(number)
        self._next_lookup()

    def _on_service_search_finished(self, query: str, matches: list[Match]) -> None:
        self._say_search_state(query, bool(matches))

    def _on_service_search_failed(self, query: str, _message: str) -> None:
        self._say_search_state(query, False)

    def _say_search_state(self, query: str, found: bool) -> None:
        """A search that found nobody leaves the card's prospect on screen: say that Dial will
        not call them."""
        from . import shortcuts as keys

        card = self.desk.card
        if query != self.search.box.text().strip() or not query or card is None or found:
            return
        if not self.desk.card_armed:
            self.search.state.setText(
                f"{self.search.state.text()} {isolate(card.name)}, still on the card below, is not "
                f"selected: {keys.DIAL.label} calls no one until you pick a match."
            )

    def _on_service_call_queued(self, entry: Entry) -> None:
        self.say(f"Call with {_who(entry.summary)} saved; syncing…")
        self._draft_flush.cancel()
        self._apply(self.desk.queued(entry.vendor_call_id))
        if self.desk.current is None:
            self.search.box.setFocus()
        else:
            self._wrap_up_focus()

    def _on_service_call_sent(self, entry: Entry, outreach_id: int) -> None:
        revision = self.desk.revision
        self.desk.sent(entry.vendor_call_id, outreach_id)
        if self.desk.revision != revision:  # a call of the desk's: said, and its card says so
            self.say(f"Call with {_who(entry.summary)} logged in Outreach (call {outreach_id}).")
            self._render_card()
            return
        # One from the backlog (logged earlier, while offline): a drain of hundreds is said a
        # few times a second, not once a call.
        self._backlog_sent.append((entry.summary, outreach_id))
        self._say_backlog()

    def _on_say_backlog(self) -> None:
        sent, self._backlog_sent = self._backlog_sent, []
        if not sent:
            return
        who, outreach_id = sent[-1]
        if len(sent) == 1:
            self.say(f"Call with {_who(who)} logged in Outreach (call {outreach_id}).")
        else:
            self.say(
                f"{len(sent)} calls logged in Outreach (the last with {_who(who)}, call"
                f" {outreach_id})."
            )

    def _on_service_call_parked(self, entry: Entry) -> None:
        self.desk.refused(entry.vendor_call_id)
        details = neutralise("; ".join(str(f) for f in entry.field_errors) or entry.last_error)
        self.say(
            f"Outreach refused the call with {_who(entry.summary)}: {details}."
            " It is kept in the outbox for you to fix and resend."
        )
        self._render_card()
        named = " ".join(f"{f.pointer} {f.field} {f.message}" for f in entry.field_errors)
        if self.lookup is not None and any(
            word in named for word in ("callDisposition", "callPurpose")
        ):
            self.lookup.refresh_reference()  # a disposition or purpose gone from the org

    def _on_service_sync_problem(self, message: str) -> None:
        if message:
            self.say(message)

    def _on_logbook_changed(self, change: OutboxChange) -> None:
        self._show_outbox_counts(change.counts, change.budget_wait)

    def _show_outbox_counts(self, counts: Counts, saving: float | None) -> None:
        """A few words in the status bar; the whole state in its tooltip and the ☰ menu."""
        from datetime import datetime, timedelta

        from . import shortcuts as keys
        from . import widgets

        paused = bool(counts.unsent and saving is not None)
        short: list[str] = []
        long: list[str] = []
        if counts.attention:
            short.append(f"{_count(counts.attention)} need attention")
        if counts.unsent:
            short.append(f"{_count(counts.unsent)} to sync" + (" (paused)" if paused else ""))
            long.append(f"{counts.unsent} call{'s' if counts.unsent != 1 else ''} waiting to sync")
        if paused and saving is not None:
            until = datetime.now().astimezone() + timedelta(seconds=saving)
            long.append(f"paused until {until:%H:%M} to keep lookups within Outreach's limit")
        if counts.attention:
            long.append(f"{counts.attention} need attention: open the outbox")
        if counts.attention and counts.unsent:  # the rest is in the tooltip and the menu
            short = [f"{_count(counts.attention)} to fix", f"{_count(counts.unsent)} to sync"]
        self.outbox_label.setText(" · ".join(short) if short else "All calls synced")
        # Said aloud when its kind changes (all synced, waiting, paused, needing attention),
        # not at each call sent: a drain of 500 calls is not 500 announcements.
        kind = (
            "attention"
            if counts.attention
            else "paused"
            if paused
            else ("waiting" if counts.unsent else "synced")
        )
        if kind != self._sync_kind:
            if self._sync_kind and self.isVisible():
                widgets.announce(self.outbox_label, self.outbox_label.text())
            self._sync_kind = kind
        detail = "; ".join(long) if long else "All calls synced"
        set_tooltip(self.outbox_label, f"{detail} ({self.keymap.label(keys.OUTBOX)}: the outbox)")
        self.outbox_label.setAccessibleDescription(detail)
        self.sync_action.setText(detail[:1].upper() + detail[1:])
        attention = bool(counts.attention)
        if self.outbox_label.property("attention") != attention:  # restyling is not free
            self.outbox_label.setProperty("attention", attention)
            self.outbox_label.setStyleSheet(
                "color: #b3261e; font-weight: bold;" if attention else ""
            )
        self._fit_status()

    def _fit_status(self) -> None:
        """The org's name takes what room the other items leave in the status bar (cut with
        …; whole in its tooltip): nothing else is ever cut."""
        if not self._org:
            return
        from PySide6.QtCore import Qt

        bar = self.statusBar()
        others = [
            w
            for w in (
                self.connection_label,
                self.queue_label,
                self.today_label,
                self.account_button,
                self.outbox_label,
                self.menu_button,
            )
            if not w.isHidden()
        ]
        layout = bar.layout()
        spacing = (layout.spacing() if layout is not None else 6) + 6
        used = sum(w.sizeHint().width() + spacing for w in others) + 2 * spacing
        room = max(bar.width() - used, 40)
        shown = self.mode_label.fontMetrics().elidedText(
            self._org, Qt.TextElideMode.ElideRight, room
        )
        self.mode_label.setText(shown)
        self.mode_label.setAccessibleDescription(f"{self._org}. Signed in as {self._who}")

    def show_settings(self) -> SettingsDialog:
        if self.settings_dialog is None:
            from .settings_dialog import SettingsDialog  # only when asked: it lists every region

            self.settings_dialog = SettingsDialog(
                self.settings,
                self,
                try_global_keys=self._try_global_keys,
                platform=self.hotkeys.platform
                if self.hotkeys is not None
                else QGuiApplication.platformName(),
            )
            self.settings_dialog.applied.connect(self._on_settings_applied)
            self.settings_dialog.accountsRequested.connect(self.accountsRequested.emit)
        self.settings_dialog.load()
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        return self.settings_dialog

    def _try_global_keys(self, on: bool, chosen: dict[str, str]) -> dict[str, str] | None:
        """Grab these global shortcuts now (the settings dialog asks before saving): what
        could not be had, by shortcut id; None where this platform has none."""
        from . import shortcuts as keys

        if self.hotkeys is None:
            return None if on else {}
        keymap = keys.KeyMap(chosen)
        wanted = {sc.twin: keymap.text(sc) for sc in keys.GLOBAL if keymap.text(sc)} if on else {}
        problems = self.hotkeys.apply(wanted)
        ids = {sc.twin: sc.id for sc in keys.GLOBAL}
        return {ids[action]: text for action, text in problems.items()}

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
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from ..core import paths

        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def _on_settings_applied(self) -> None:
        from ..core import settings as s

        if self.lookup is not None:
            self.lookup.set_region(self.settings.get(s.REGION))
        self.card.refresh_local_time()
        if self.queue is not None:
            self.queue.settings_changed()
        self.apply_keys()
        self.apply_global_keys()
        self.render()

    def show_outbox(self) -> OutboxDialog:
        if self.outbox_dialog is None:
            from .outbox_view import OutboxDialog

            self.outbox_dialog = OutboxDialog(self.logbook, self)
        self.outbox_dialog.refresh()
        self.outbox_dialog.show()
        self.outbox_dialog.raise_()
        return self.outbox_dialog

    def _on_service_call_failed(self, message: str) -> None:
        self.say(
            f"Not saved: {neutralise(message)} The call is kept here; press Log call to try again."
        )

    # -- the rep → the desk -----------------------------------------------------------------

    def _on_find_key(self) -> None:
        """Ctrl+F: the whole query selected, so what the rep types next replaces it."""
        from PySide6.QtCore import Qt

        self.search.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.box.selectAll()

    def _on_search_text_edited(self, text: str) -> None:
        revision = self.desk.revision
        reply = self.desk.search_edited(text)
        if self.desk.revision == revision and not (reply.say or reply.error or reply.effects):
            self.call.error.clear_error()  # as any input does; the rest is as it was
            return
        self._apply(reply)

    def _on_search_match_chosen(self, match: Match) -> None:
        opened = self.queue.current() if self.queue is not None else None
        if opened is not None and opened.prospect_id != match.prospect.id:
            self.queue.close_task()  # type: ignore[union-attr]
        self._apply(self.desk.open_prospect(who_of(match.prospect)))

    def _on_card_dial_requested(self, number: PhoneNumber) -> None:
        from ..core import settings as s
        from ..core.desk import Phone

        detail = self.card.detail
        prospect = detail.prospect if detail is not None else None
        if prospect is None or self.desk.card is None or prospect.id != self.desk.card.id:
            return
        if self.desk.active_calls:
            self.call.show_error("Finish the current call before dialling another.")
            return
        if not self.prospect_actions.confirm_dial(number):
            return
        assert detail is not None
        if not self._may_call(detail):
            return
        phone = Phone(number.id, number.number, number.extension)
        self._apply(self.desk.dial(phone, scheme=self.settings.get(s.DIAL_SCHEME)))

    def _on_call_dial_requested(self) -> None:
        target, shown = self.desk.dial_target, self.card.detail
        detail = (
            shown  # the card's, with what the rep marked on it
            if shown is not None and target is not None and shown.prospect.id == target.id
            else self._details.get(target.id)
            if target is not None
            else None
        )
        if detail is not None and not self.desk.active_calls and not self._may_call(detail):
            return
        self._apply(self.desk.dial())

    def _may_call(self, detail: ProspectDetail) -> bool:
        """Ask first before calling someone who opted out of calls, or outside their calling
        hours (unless the rep turned that question off); True to go ahead."""
        from PySide6.QtWidgets import QMessageBox

        from ..core import settings as s
        from ..core.hours import local_time

        prospect = detail.prospect
        name = isolate(prospect.name)
        self.card.refresh_local_time()  # the card says the same as the question
        reasons = []
        if prospect.call_opted_out:
            reasons.append(f"{name} has opted out of calls.")
        start, end = self.settings.get(s.CALL_HOURS_START), self.settings.get(s.CALL_HOURS_END)
        lt = local_time(prospect.time_zone, self.desk.clock.now(), start, end)
        late = lt is not None and not lt.within_hours
        if late and lt is not None and self.settings.get(s.CONFIRM_OUTSIDE_HOURS):
            reasons.append(
                f"It is {lt.at:%A %H:%M} for {name} ({neutralise(lt.zone)}): outside calling "
                f"hours ({start}:00–{end}:00 on weekdays, their time)."
            )
        if not reasons:
            return True
        answer = ask(
            self,
            "Opted out of calls" if prospect.call_opted_out else "Outside calling hours",
            " ".join([*reasons, "Call anyway?"]),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.say(f"Not called: {name}.")
            return False
        return True

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
        from . import shortcuts as keys

        queue = self.queue
        if queue is None or not queue.loaded:
            self.queue_label.setText("")
            self._fit_status()
            return
        count = queue.count()
        self.queue_label.setText(f"{count} due")
        source = queue.source_text()
        set_tooltip(
            self.queue_label,
            f"{count} call task{'s' if count != 1 else ''} due today or overdue, "
            f"{queue.callable_count()} callable now"
            + (f". {source}" if source else "")
            + f". Next task: {self.keymap.label(keys.NEXT_TASK)}",
        )
        self._fit_status()

    def _on_queue_today_changed(self, today: DayTally) -> None:
        self.today_label.setText(today.short if today.calls or today.goal else "")  # no "Today 0"
        self._fit_status()
        set_tooltip(self.today_label, today.sentence)

    def _on_queue_told(self, text: str) -> None:
        self.say(neutralise(text))

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
        from ..core.desk import Who

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
        from .callback import CallbackDialog

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
        from . import shortcuts as keys

        if self.queue is None or self.queue.current() is None:
            self.statusBar().showMessage(
                f"No call task is open: {keys.NEXT_TASK.label} opens the next one.", 10_000
            )
            return True
        return False

    def _on_call_back_key(self) -> None:
        """Call back: when to call the prospect of the call in the wrap-up again."""
        from ..core.callbacks import Callback
        from .callback import CallbackDialog

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
        return number == self._looking_up or any(e.number == number for e in self._lookups)

    def detail_of(self, prospect_id: int) -> ProspectDetail | None:
        """The card's data read for this prospect, if it was."""
        return self._details.get(prospect_id)

    def keep_detail(self, detail: ProspectDetail) -> None:
        """The card's data changed by a write Outreach now has (no need to read it again)."""
        self._details[detail.prospect.id] = detail
        self.render()

    def reload_card(self, prospect_id: int) -> None:
        """Read the prospect's card again (it shows what Outreach has)."""
        from ..core.desk import Load, Reply

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
            self.say(reply.say)
            reply.say = ""
        self._apply(reply, errors_to=self.wrapup.general_error)

    def _on_undo_timer_timeout(self) -> None:
        if self.desk.tick() or not self._render_undo():
            self.render()

    def _on_log_button_clicked(self) -> None:
        self.log_current()

    def log_current(self) -> bool:
        """Log the call in the wrap-up: True once the outbox has it (else the form says why)."""
        from ..core.callbacks import Callback
        from ..core.callbacks import describe as describe_callback
        from ..core.terms import CallValidationError

        self.wrapup.clear_errors()
        self.compact_wrap.clear_errors()
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
            self.say(f"Call with {_who(entry.summary)} saved, and a callback {when}; syncing…")
        return entry is not None

    def _show_errors(self, errors: list[FieldError]) -> None:
        time_errors = [e for e in errors if e.field in TIME_FIELDS]
        if time_errors:
            self.call.show_error(" ".join(e.message for e in time_errors))
        self.wrapup.show_errors([e for e in errors if e.field not in TIME_FIELDS])
        if self.compact:
            self.compact_wrap.show_errors([e for e in errors if e.field not in TIME_FIELDS])
            self._fit_compact()

    # -- from outside: links and softphone events -------------------------------------------

    def open_uri(self, text: str) -> bool:
        """A tel:/callto:/sip: link the OS handed us: look the number up, ready to dial. A call
        in progress keeps its prospect; the card shows the number's."""
        from ..core import settings as s
        from ..core.uri import UriError, parse_uri

        try:
            target = parse_uri(text, region=self.settings.get(s.REGION))
        except UriError as exc:
            self.say(f"Not opened: {neutralise(str(exc))}")
            return False
        self.bring_to_front(activate=True)
        self._link_number = target.number
        self._apply(self.desk.open_number(target.number, target.extension))
        return True

    def bring_to_front(self, *, activate: bool) -> None:
        """Show and raise the window; take keyboard focus only when `activate` (the rep asked)."""
        from PySide6.QtCore import Qt

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
        from ..core.desk import HandOff, Load, LookUp, Pop, StartWrapUp

        if reply.error:
            target = errors_to if errors_to is not None else self.call.error
            target.show_error(reply.error)  # type: ignore[attr-defined]
        else:
            self.call.error.clear_error()
            if errors_to is not None:
                errors_to.clear_error()  # type: ignore[attr-defined]
        if reply.say:
            self.say(reply.say)
        wrap_up = False
        for effect in reply.effects:
            if isinstance(effect, LookUp):
                if effect not in self._lookups and effect.number != self._looking_up:
                    self._lookups.append(effect)
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
            self._wrap_up_focus()

    def _hand_off_link(self, uri: str) -> None:
        if not self._hand_off(uri):
            scheme, _, rest = uri.partition(":")
            self.say(
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
        wanted = self._lookups.pop(0)
        self._looking_up = wanted.number
        self.lookup.find_number(wanted.number, wanted.extension)

    def render(self) -> None:  # type: ignore[override]  # QWidget.render (into a device): unused
        """Show the desk as it is: the phone, the calls, the wrap-up, the card."""
        from . import shortcuts as keys

        desk = self.desk
        self.call.refresh()
        self.calls.show_desk(desk)
        current = desk.current
        if current is None:
            self.wrap_title.setText("No call yet: what you type here goes with the next call.")
        else:
            state = current.status() if current.over else "in progress"
            self.wrap_title.setText(f"Call with {current.who} — {state}")
        self.compact_wrap.title.setText(self.wrap_title.text())
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
                f"Assign this call to {isolate(card.name)} ({self.keymap.label(keys.REASSIGN)})"
            )
            set_tooltip(
                self.assign_button,
                f"Wrong person: the call with {current.who} was with {isolate(card.name)}",
            )
        self.discard_button.setEnabled(current is not None and not current.active)
        self.prospect_actions.render()
        self._fold_queue()
        if self._render_undo():
            self._undo_timer.start()
        else:
            self._undo_timer.stop()
        self._render_card()
        self._render_mode()
        if desk.revision != self._saved_revision:
            self.save_draft()

    def _render_undo(self) -> bool:
        """The undo bar while a discard can be undone, with the seconds left; False when not."""
        from . import shortcuts as keys
        from . import widgets

        left = self.desk.undo_left()
        gone = self.desk.last_discarded
        showing = left > 0 and gone is not None
        appearing = showing and not self.undo_bar.isVisible()
        self.undo_bar.setVisible(showing)
        if showing and gone is not None:
            self.undo_label.setText(
                f"Call with {gone.who} discarded. Undo ({self.keymap.label(keys.UNDO_DISCARD)}) "
                f"for {math.ceil(left):.0f} s."
            )
        if appearing:
            widgets.announce(self.undo_label, self.undo_label.text())
        return showing

    def _show_form(self) -> None:
        """The wrap-up form now belongs to another call: show that call's (unless it is what
        the form holds already: a call that took what was typed before it, the cursor stays)."""
        from ..core.desk import clean_form

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
        from .card import LoggedLine

        desk = self.desk
        card = desk.card
        if card is None and self.prospect_actions.show_pending_card():
            return
        if card is None:
            if desk.card_number:
                if self.card.detail is not None or self.card.name.text() != desk.card_label:
                    self.card.show_loading(desk.card_label)
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
        from .toast import Toast

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
        """A small always-on-top window: the search, who (their local time and the numbers
        Alt+1…9 call) and the call; its own short wrap-up comes when a call ends. It grows only
        as much as what it shows needs, and shrinks back."""
        if on == self.compact:
            return
        if on:
            self._full_size = self.size()
        self.compact = on
        self.compact_action.setChecked(on)
        self._set_on_top(on)
        self._render_mode()
        if not on:
            self.resize(self._full_size)
        self._wrap_up_focus(only_if_lost=True)

    def _fold_queue(self) -> None:
        """The call tasks fold to one line while a call is on or in the wrap-up, and step aside
        while matches are listed: the call, the matches and the card get the room."""
        self.queue_panel.set_folded(bool(self.desk.open_calls))
        self.queue_panel.setVisible(self.search.results.isHidden())

    def _set_on_top(self, on: bool) -> None:
        """Always on top, or not, without hiding the window (`setWindowFlag` would hide it and
        take the keyboard from the rep): the window system is told directly."""
        from PySide6.QtCore import Qt

        flags = self.windowFlags()
        flags = (
            flags | Qt.WindowType.WindowStaysOnTopHint
            if on
            else flags & ~Qt.WindowType.WindowStaysOnTopHint
        )
        handle = self.windowHandle()
        if handle is None:  # not shown yet: the flag is read when it is
            self.setWindowFlags(flags)
            return
        self.overrideWindowFlags(flags)
        handle.setFlags(flags)

    def _render_mode(self) -> None:
        """Full or compact: which parts show; in compact mode, the window's height follows."""
        from PySide6.QtCore import Qt

        compact = self.compact
        current = self.desk.current
        wrapping = current is not None and current.over
        self._wrap_box.setVisible(not compact)
        self.compact_wrap.setVisible(compact and wrapping)
        # Whose call is in the wrap-up: the call panel says it, unless another call is on the
        # phone meanwhile.
        self.compact_wrap.title.setVisible(self.desk.phone_call is not current)
        self.card.set_compact(compact)
        self.call.set_compact(compact)
        self.queue_panel.set_compact(compact)
        self.body_scroll.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            if compact
            else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        if compact:
            self._fit_compact()

    def _fit_compact(self) -> None:
        """Compact mode: exactly as tall as what it shows (growing for a wrap-up or matches,
        shrinking back after)."""
        if not self.compact:
            return
        # What was just shown or hidden is laid out first: the heights below are then true.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        central = self.centralWidget()
        outer = central.layout() if central is not None else None
        body = self._body.layout()
        if outer is None or body is None:
            return
        width = max(self.width() - 2 * outer.contentsMargins().left(), 100)
        needed = 0
        shown = 0
        for i in range(outer.count()):
            item = outer.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is None or widget.isHidden():
                continue
            shown += 1
            if widget is self.body_scroll:
                needed += (
                    body.totalHeightForWidth(width)
                    if body.hasHeightForWidth()
                    else (body.totalSizeHint().height())
                )
            elif widget.hasHeightForWidth():
                needed += widget.heightForWidth(width)
            else:
                needed += widget.sizeHint().height()
        margins = outer.contentsMargins()
        needed += margins.top() + margins.bottom() + outer.spacing() * max(shown - 1, 0)
        needed += self.statusBar().sizeHint().height()
        if self.height() != needed:
            self.setMinimumHeight(0)
            self.resize(self.width(), needed)

    def focus_wrap_up(self) -> None:
        """The window, and in it the wrap-up, get the keys (after a dialog of its own closed)."""
        self.activateWindow()
        self._wrap_up_focus()

    def _wrap_up_focus(self, *, only_if_lost: bool = False) -> None:
        """The disposition of the call in the wrap-up gets the keys: the full form's, or in
        compact mode the compact wrap-up's."""
        from PySide6.QtCore import Qt

        current = self.desk.current
        if current is None or not current.over:
            return
        box = self.compact_wrap.disposition if self.compact else self.wrapup.disposition
        focus = QApplication.focusWidget()
        if only_if_lost and focus is not None and focus.isVisible():
            return
        box.setFocus(Qt.FocusReason.OtherFocusReason)

    def _restore_geometry(self) -> None:
        """The size and place the window had (the frame's, before its first paint)."""
        geometry = self._state.value("geometry") if self._state is not None else None
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(self._full_size)

    def _restore_compact(self) -> None:
        """Compact mode, if the window was left in it (once built)."""
        if self._state is None:
            return
        if str(self._state.value("compact", "false")).lower() == "true":
            self.set_compact(True)
            full = self._state.value("full_size")
            if isinstance(full, QSize) and full.isValid():
                self._full_size = full  # leaving compact mode goes back to this size

    def _save_state(self) -> None:
        if self._state is None:
            return
        self._state.setValue("geometry", self.saveGeometry())
        self._state.setValue("compact", self.compact)
        self._state.setValue("full_size", self._full_size if self.compact else self.size())
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

    def _flush_draft(self) -> None:
        """The flush that survives a power cut, of the draft each keystroke already wrote: on
        the drafts' own thread, so that the rep's typing never waits for the disk."""
        if self.drafts is None or not self._restored:
            return
        if self._saved_revision != self.desk.revision:
            self.save_draft(durable=False)
        self.drafts.flush_later().add_done_callback(_log_flush_failure)

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
            self.say(f"The calls in progress could not be saved: {why}")

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
                self.say(
                    f"Reopened {count} call{'s' if count != 1 else ''} that "
                    f"{'were' if count != 1 else 'was'} in progress when the app stopped."
                )
            self._apply(desk.resume())

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_state()
        self.closed.emit()
        super().closeEvent(event)


def _count(n: int) -> str:
    """A count for the status bar: a few characters at most."""
    return str(n) if n < 1000 else "999+"


def _log_flush_failure(done: concurrent.futures.Future[None]) -> None:
    """A flush of the draft that failed (its thread): the next save tries again; logged."""
    exc = done.exception()
    if exc is not None:
        log.warning("the draft could not be flushed to the disk: %s", exc)


def _who(summary: str) -> str:
    """The prospect a logged call was with, for a sentence of the app's own."""
    return isolate(summary) if summary else "the prospect"
