"""Whoever can put a lead into the CRM cannot draw on the rep's window: names, titles, companies,
errors and the rep's own name from Outreach are shown literally (never Qt rich text), without
bidi controls — on the card, in the search results, the status bar, the outbox, the toast, the
tray, the Accounts dialog and every question asked.

Prospects come over HTTP from a sandbox whose database the test rewrites with hostile text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import Qt as Qt  # QtGui's Qt also has mightBeRichText
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QToolButton, QWidget

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.jsonapi import FieldError
from dialer_app.core.outbox import Counts, Outbox
from dialer_app.core.outreach.models import Match, PhoneNumber, Prospect
from dialer_app.core.text import BIDI_CONTROLS, MAX_NAME, isolate, neutralise, one_line
from dialer_app.sandbox.resources import PROSPECT, USER
from dialer_app.sandbox.store import Store
from dialer_app.ui.outbox_view import OutboxDialog
from dialer_app.ui.tags import TagsEdit
from dialer_app.ui.text import literal
from dialer_app.ui.toast import Toast
from tests.support.sandbox import SandboxServer

IMG = '<img src="file:///etc/hostname">'
MARKUP = [
    IMG,
    '<a href="https://evil.example/">click</a>',
    '<b style="color:red;font-size:40px">OPTED OUT - DO NOT CALL</b>',
    "<table><tr><td>x</td></tr></table>",
    "<h1>",
    "&lt;&amp;",
    "<!-- -->",
    "<qt>",
]
# Names as hostile as a CRM field can hold: markup, bidi controls, line breaks, RTL letters.
hostile = st.lists(
    st.sampled_from(MARKUP)
    | st.sampled_from(sorted(BIDI_CONTROLS))
    | st.sampled_from(["\n", "\t", "CFO", " ", ")llac ton od(", "שלום", "مرحبا", "Zoë"])
    | st.text(max_size=6),
    min_size=1,
    max_size=6,
).map("".join)
OWN_MARKUP = {"<b>Demo</b>"}


def no_markup_drawn(root: QWidget) -> None:
    """No label under `root` renders text as rich text unless it is the app's own markup, and
    no tooltip renders an image or a link."""
    for label in root.findChildren(QLabel):
        fmt = label.textFormat()
        rich = fmt == Qt.TextFormat.RichText or (
            fmt == Qt.TextFormat.AutoText and Qt.mightBeRichText(label.text())
        )
        assert not rich or label.text() in OWN_MARKUP, (label.objectName(), label.text())
    for widget in [root, *root.findChildren(QWidget)]:
        assert not _draws_markup(widget.toolTip()), (widget.objectName(), widget.toolTip())


LITERAL_OPEN, LITERAL_CLOSE = '<p style="white-space:pre-wrap">', "</p>"


def _draws_markup(text: str) -> bool:
    """Whether Qt, taking `text` for rich text, would draw markup from it: anything but the
    one paragraph `literal` wraps around escaped text."""
    if not text or not Qt.mightBeRichText(text):
        return False
    if not (text.startswith(LITERAL_OPEN) and text.endswith(LITERAL_CLOSE)):
        return True
    return "<" in text[len(LITERAL_OPEN) : -len(LITERAL_CLOSE)]


def shown(text: str) -> str:
    """What Qt draws for `text` given to a widget in its automatic format (a tooltip, a box)."""
    if not Qt.mightBeRichText(text):
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


@pytest.fixture(scope="module")
def hostile_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox of this module's own, whose rep is called by markup and a bidi override."""
    server = SandboxServer(
        tmp_path_factory.mktemp("hostile") / "data", extra_args=("--prospects", "20")
    ).start()
    store = Store.open(server.data_dir)
    rep = store.get(USER, 1)
    assert rep is not None
    rep.attrs.update(firstName=f"Rep {IMG}", lastName="\u202eenaJ")
    store.update(rep)
    store.close()
    yield server
    server.stop()


@pytest.fixture
def hostile_window(make_window: Any, hostile_sandbox: SandboxServer) -> Any:
    """One window for all the examples of a test."""
    return make_window(hostile_sandbox)


@pytest.fixture
def store(hostile_sandbox: SandboxServer) -> Iterator[Store]:
    opened = Store.open(hostile_sandbox.data_dir)
    yield opened
    opened.close()


def _set_prospect(store: Store, pid: int, **attrs: Any) -> None:
    row = store.get(PROSPECT, pid)
    assert row is not None
    row.attrs.update(attrs)
    store.update(row)


def _open(qtbot: Any, win: Any, service: Any, pid: int, name: str = "") -> None:
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        win.search.matchChosen.emit(Match(Prospect(pid, name, ""), "name"))


def test_an_img_name_shows_those_characters(
    qtbot: Any, make_window: Any, hostile_sandbox: SandboxServer, store: Store, tmp_path: Path
) -> None:
    _set_prospect(store, 2, firstName=IMG, lastName="", title="<b>CEO</b>", company="<i>Acme</i>")
    o = make_window(hostile_sandbox)
    _open(qtbot, o.win, o, 2)
    assert o.win.card.name.text() == IMG
    assert o.win.card.name.textFormat() == Qt.TextFormat.PlainText
    assert o.win.card.subtitle.text().startswith("<b>CEO</b> · ")
    # the rep's own name in the ☰ menu and the status bar's tooltip, as Outreach spelled it,
    # bidi override removed
    assert f"Rep {IMG} enaJ" in o.win.who_action.text().replace("&&", "&")
    assert IMG in shown(o.win.mode_label.toolTip())
    no_markup_drawn(o.win)
    o.win.grab().save(str(tmp_path / "hostile-card.png"))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=hostile, last=hostile, title=hostile, company=hostile, note=hostile)
def test_the_card_shows_what_outreach_holds_literally(
    qtbot: Any,
    hostile_window: Any,
    store: Store,
    first: str,
    last: str,
    title: str,
    company: str,
    note: str,
) -> None:
    """The card's name is the raw name with bidi controls neutralised (one line), whatever it
    holds; nothing on the window is drawn as markup."""
    o = hostile_window
    _set_prospect(store, 3, firstName=first, lastName=last, title=title, company=company)
    _open(qtbot, o.win, o, 3, first)
    raw = f"{first} {last}".strip() or "Prospect 3"
    assert o.win.card.name.text() == one_line(raw)
    if len(raw) < MAX_NAME and not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in raw):
        assert o.win.card.name.text() == neutralise(raw)  # the raw name, bidi neutralised
    assert not BIDI_CONTROLS & set(o.win.card.subtitle.text())
    # the same prospect among search results: each row's text and tooltip literal
    match = Match(o.win.card.detail.prospect, "name")
    o.win.search.box.setText("q")
    o.win.search.show_results("q", [match])
    index = o.win.search.model.index(0, 0)
    assert index.data().split("\n")[0] == (one_line(raw) or "(no name)")  # never a blank row
    assert not _draws_markup(index.data(Qt.ItemDataRole.ToolTipRole) or "")
    toast = Toast(o.win)
    toast.show_text(f"Incoming call: {isolate(raw)}", o.win)
    assert toast.label.text() == f"Incoming call: {isolate(raw)}"
    no_markup_drawn(toast)
    toast.hide()
    toast.deleteLater()
    o.win.card.show_error(note)  # an error message from Outreach
    no_markup_drawn(o.win)


def test_the_opt_out_question_names_the_prospect_literally(
    qtbot: Any, make_window: Any, hostile_sandbox: SandboxServer, store: Store, monkeypatch: Any
) -> None:
    name = f'{IMG} <a href="x">Jane</a>'
    _set_prospect(
        store,
        4,
        firstName=name,
        lastName="\u202eeoD",
        callOptedOut=True,
        workPhones=["+14155550144"],
    )
    o = make_window(hostile_sandbox)
    _open(qtbot, o.win, o, 4)
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_rest: Any) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    o.win.card.dialRequested.emit(PhoneNumber(1, "+14155550144"))
    assert shown(asked[0]) == f"{name} eoD has opted out of calls. Call anyway?"
    assert not _draws_markup(asked[0])


def test_the_outbox_view_shows_names_and_outreachs_errors_literally(
    qtbot: Any, tmp_path: Path, monkeypatch: Any, offline: Any
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    call = NewCall(
        attributes=CallAttributes(outcome="Answered", vendorCallId="hostile-1"),
        relationships=CallRelationships.link(prospect=5),
    )
    entry = outbox.enqueue(call, summary=f"{IMG}\u202e yrraH")
    outbox.claim_next("test")
    outbox.mark_attention(
        entry.id, f"<b>{IMG}</b>", [FieldError("/data", "note", f'<a href="x">{IMG}</a>')]
    )
    dialog = OutboxDialog(offline(outbox).logbook)
    qtbot.addWidget(dialog)
    row = next(r for r in range(dialog.model.rowCount()) if dialog.model.entry_at(r).id == entry.id)
    assert dialog.model.index(row, 1).data() == f"{IMG} yrraH"
    for col in range(5):
        tip = dialog.model.index(row, col).data(Qt.ItemDataRole.ToolTipRole) or ""
        assert not _draws_markup(tip)
        assert shown(tip) == (dialog.model.index(row, col).data() or "")
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, _t, text, *_r: asked.append(text) or QMessageBox.StandardButton.Cancel,
    )
    dialog.table.selectRow(row)
    dialog.discard_button.click()
    assert shown(asked[0]).startswith(f"Discard the call with {IMG} yrraH?")
    no_markup_drawn(dialog)
    dialog.close()


def test_the_accounts_dialog_and_the_tray_show_names_literally(
    qtbot: Any, tmp_path: Path, aio: Any, offline: Any
) -> None:
    from dialer_app.core.auth.profiles import Profile
    from dialer_app.core.auth.secrets import KeyringStore
    from dialer_app.services.accounts import AccountService
    from dialer_app.services.tasks import TaskRunner
    from dialer_app.ui.accounts import AccountsDialog
    from dialer_app.ui.tray import Tray
    from tests.support.keychain import MemoryKeyring

    accounts = AccountService(
        TaskRunner(),
        tmp_path / "profiles.json",
        None,
        tmp_path / "plain.json",
        open_browser=lambda _url: True,
        keychain=KeyringStore(MemoryKeyring()),
    )
    accounts.save_profile(Profile("evil", f"{IMG}\u202e gro", "https://x.test/api/v2", "c"), "s")
    dialog = AccountsDialog(accounts)
    qtbot.addWidget(dialog)
    dialog.refresh()
    assert dialog.list.item(0).text() == f"{IMG} gro"
    dialog._on_save_button_clicked()
    assert dialog.message.text() == f"Saved {IMG} gro."
    no_markup_drawn(dialog)

    holder = QWidget()
    qtbot.addWidget(holder)
    tray = Tray(holder, offline(Outbox(tmp_path / "outbox.sqlite3")).logbook)
    for counts in (Counts(), Counts(waiting=3, attention=2), Counts(sending=1)):
        tray.show_counts(counts)
        assert not Qt.mightBeRichText(tray.toolTip())
    assert QApplication.instance() is not None
    assert literal(IMG) != IMG  # a tooltip given outside text escapes it
    assert shown(literal(IMG)) == IMG


def test_the_calls_on_the_desk_name_their_prospects_literally(
    qtbot: Any, hostile_window: Any, store: Store
) -> None:
    """Every place a call names its prospect — the call panel, the wrap-up heading, the list
    of calls, the assign button, the undo bar — shows the name as written (isolated when it
    reads right to left), never as markup."""
    win = hostile_window.win
    name = f"{IMG} שלום"
    _set_prospect(store, 5, firstName=name, lastName="\u202e)llac ton od(")
    _set_prospect(store, 6, firstName="<b>Other</b>", lastName="")
    raw = isolate(f"{name} \u202e)llac ton od(")
    _open(qtbot, win, hostile_window, 5)
    win.call.dial.click()
    win.call.hang_up.click()
    _open(qtbot, win, hostile_window, 6)
    win.call.dial.click()  # a second call, so the list of calls shows
    win.call.hang_up.click()
    win.calls.callChosen.emit(win.desk.calls[0].id)
    assert win.wrap_title.text().startswith(f"Call with {raw} — ")
    assert raw in win.call.who.text()
    assert win.calls.calls.itemText(0).startswith(f"→ {raw} — ")
    assert win.assign_button.text().startswith("Assign this call to <b>Other</b>")
    no_markup_drawn(win)
    win.discard_button.click()
    assert win.undo_label.text().startswith(f"Call with {raw} discarded.")
    no_markup_drawn(win)


def _plain_tag(tag: str) -> bool:
    """One line, no bidi control, no blank at either end or twice in a row, not empty."""
    return (
        bool(tag)
        and not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in tag)
        and not BIDI_CONTROLS & set(tag)
        and " ".join(tag.split()) == tag
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(org=st.lists(hostile, max_size=6), typed=hostile)
def test_tags_from_the_org_or_pasted_are_shown_suggested_and_logged_as_plain_lines(
    qtbot: Any, org: list[str], typed: str
) -> None:
    """Whatever the org's calls hold as tags (a hostile server's) and whatever the rep pastes,
    the suggestions, the chips and the tags logged are plain lines: no bidi control that could
    draw them reversed here or in Outreach, no line break; none is lost, none is there twice."""
    tags = TagsEdit()
    qtbot.addWidget(tags)
    tags.set_suggestions(org)
    tags.set_tags(org)  # a draft restored, as the org's tags were picked
    tags.input.setText(typed)
    tags.commit()
    logged = tags.tags()
    for tag in [*tags.suggestions(), *logged]:
        assert _plain_tag(tag), repr(tag)
    assert len({t.lower() for t in logged}) == len(logged)
    wanted = [" ".join(one_line(t, None).split()) for t in [*org, *typed.split(",")]]
    assert {t.lower() for t in wanted if t} == {t.lower() for t in logged}
    shown = [b.text() for b in tags.findChildren(QToolButton, "tag-chip")]
    assert shown == [f"{one_line(t, 80)}  ×" for t in logged]
