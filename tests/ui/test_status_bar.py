"""The status bar never cuts its words at the window's default width: a few short items, the
details in their tooltips, in what a screen reader hears and in the ☰ menu; long messages go
to the message area above it, never over it."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QApplication, QLabel, QStatusBar, QToolButton, QWidget

from dialer_app.core.outbox import Counts
from dialer_app.core.outreach.models import User
from dialer_app.core.softphone.events import make_event
from tests.support.qt import by_name

words = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), min_size=1, max_size=60
)
counts = st.builds(
    Counts,
    waiting=st.integers(0, 99_999),
    sending=st.integers(0, 50),
    sent=st.integers(0, 10),
    attention=st.integers(0, 9_999),
)
steps = st.one_of(
    st.tuples(st.just("connecting"), words),
    st.tuples(st.just("connected"), st.tuples(words, words, st.booleans())),
    st.tuples(st.just("token"), st.sampled_from(["", "token valid 118 min", "Sign in again"])),
    st.tuples(st.just("sign in"), words),
    st.tuples(st.just("failed"), words),
    st.tuples(st.just("counts"), st.tuples(counts, st.one_of(st.none(), st.floats(1, 7200)))),
    st.tuples(st.just("say"), words),
)


def shown_items(bar: QStatusBar) -> list[QWidget]:
    return [w for w in bar.findChildren(QWidget) if w.parent() is bar and w.isVisible()]


def assert_nothing_cut(bar: QStatusBar) -> None:
    QApplication.sendPostedEvents()
    layout = bar.layout()
    assert layout is not None
    layout.activate()
    assert bar.currentMessage() == ""  # nothing is ever drawn over the items
    items = shown_items(bar)
    state = [
        (w.accessibleName(), getattr(w, "text", lambda: "")(), w.width(), w.sizeHint().width())
        for w in items
    ]
    for widget in items:
        what = (widget.accessibleName() or widget.objectName(), state)
        assert widget.width() >= widget.sizeHint().width(), (
            what,
            widget.sizeHint(),
            widget.width(),
        )
        assert bar.rect().contains(widget.geometry()), what
        if isinstance(widget, QLabel) and widget.textFormat().name == "PlainText":
            text_width = widget.fontMetrics().horizontalAdvance(widget.text())
            assert text_width <= widget.contentsRect().width(), (what, widget.text())
        if isinstance(widget, QToolButton):
            text_width = widget.fontMetrics().horizontalAdvance(widget.text())
            assert text_width <= widget.contentsRect().width(), (what, widget.text())


def apply(win: Any, step: tuple[str, Any]) -> None:
    kind, value = step
    if kind == "connecting":
        win._on_service_connecting(value)
    elif kind == "connected":
        name, org, demo = value
        user = User(1, "rep@example.com", name, "")
        win._on_service_connected(user, "Demo" if demo else org)
    elif kind == "token":
        win._on_service_token_changed(value)
    elif kind == "sign in":
        win._on_service_sign_in_required(value)
    elif kind == "failed":
        win._on_service_connection_failed(value)
    elif kind == "counts":
        counted, saving = value
        win._show_outbox_counts(counted, saving)
    elif kind == "say":
        win.say(value)


def test_every_status_item_fits_at_the_default_width_whatever_it_says(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win = opened.win
    win.resize(460, win.height())
    bar = win.statusBar()
    assert_nothing_cut(bar)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(steps, min_size=1, max_size=8))
    def check(sequence: list[tuple[str, Any]]) -> None:
        for step in sequence:
            apply(win, step)
            assert_nothing_cut(bar)
        # the details are not lost: the sync state in full is in what a screen reader hears
        sync = by_name(win, "Sync status", QLabel)
        assert sync.accessibleDescription()

    check()


def test_the_worst_case_words_fit(qtbot, sandbox, make_window) -> None:
    """The longest thing each item can say, all at once."""
    opened = make_window(sandbox)
    win = opened.win
    win.resize(460, win.height())
    long_org = "Vereinigte Versicherungs- und Rückversicherungsgesellschaft Aktiengesellschaft"
    win._on_service_connected(User(1, "rep@example.com", "Maximiliane", "Oberhuber"), long_org)
    win._on_service_token_changed("Sign in again")
    win._show_outbox_counts(Counts(waiting=99_999, sending=9, attention=9_999), 3600.0)
    assert_nothing_cut(win.statusBar())
    sync = by_name(win, "Sync status", QLabel)
    assert "paused until" in sync.accessibleDescription()  # said in full where it has room
    assert "paused until" in win.sync_action.text()
    assert long_org in win.mode_label.toolTip()


def test_a_long_softphone_message_goes_to_the_message_area_not_the_status_bar(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win = opened.win
    win.resize(460, win.height())
    win.apply_call_event(make_event("ended", "+12125550199", call_id="never-seen"))
    messages = by_name(win, "Messages", QLabel)
    assert "The softphone ended a call" in messages.text()
    assert messages.isVisible()
    assert messages.wordWrap()
    assert messages.width() <= win.width()
    assert_nothing_cut(win.statusBar())
