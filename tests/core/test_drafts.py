"""The desk survives a crash whole; an old draft still loads; a damaged one never stops the app."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.desk import CallDesk, Links, Phase, Who
from dialer_app.core.drafts import DraftStore
from dialer_app.core.softphone.events import CallEvent
from dialer_app.core.terms import NOTE_MAX
from tests.support.clock import FakeClock

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ADA = Who(12, "Jane Doe")


def _busy_desk(clock: FakeClock) -> CallDesk:
    """A call in wrap-up, another one live, and the card on a third prospect."""
    desk = CallDesk(clock)
    desk.open_prospect(ADA)
    desk.prospect_loaded(ADA, [], Links(task_id=4, sequence_state_id=5))
    desk.dial()
    clock.advance(4)
    desk.answer()
    clock.advance(60)
    desk.hang_up()
    desk.set_form({"note": "Budget approved", "tags": "q3", "disposition_id": 3})
    desk.softphone(CallEvent("incoming", "+14155550123", "in-1"))
    clock.advance(2)
    desk.softphone(CallEvent("answered", "+14155550123", "in-1"))
    desk.open_prospect(Who(13, "Dev Patel"))
    return desk


def test_a_saved_desk_comes_back_exactly(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    desk = _busy_desk(clock)
    store = DraftStore(tmp_path / "draft.json")
    store.save(desk.to_data())
    again = DraftStore(tmp_path / "draft.json").load_desk(clock)
    assert again is not None
    wrapped, live = again.calls
    assert (wrapped.phase, wrapped.prospect, wrapped.form["note"]) == (
        Phase.WRAPPING,
        ADA,
        "Budget approved",
    )
    assert wrapped.links == Links(task_id=4, sequence_state_id=5)
    assert wrapped.times == desk.calls[0].times
    # the call that was live when the app stopped: ended, at an unknown time
    assert (live.phase, live.end_unknown, live.softphone_id) == (Phase.ENDED, True, "in-1")
    assert live.times.answered_at == desk.calls[1].times.answered_at
    assert again.card == Who(13, "Dev Patel")
    assert again.current_id == desk.current_id


def test_a_desk_with_nothing_in_it_removes_the_file(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "draft.json")
    store.save(_busy_desk(FakeClock(T0)).to_data())
    store.save(CallDesk(FakeClock(T0)).to_data())
    assert store.load() is None
    assert not (tmp_path / "draft.json").exists()


def test_saving_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "draft.json")
    data = _busy_desk(FakeClock(T0)).to_data()
    for durable in (True, False, True, False, False):
        store.save(data, durable=durable)
    assert [p.name for p in tmp_path.iterdir()] == ["draft.json"]


@pytest.mark.parametrize(
    "kind", ["cut short", "not a desk", "empty", "not text", "a folder", "no permission"]
)
def test_a_damaged_draft_is_moved_aside_with_a_notice_never_fatal(tmp_path: Path, kind) -> None:
    path = tmp_path / "draft.json"
    if kind == "a folder":
        path.mkdir()
    else:
        path.write_bytes(
            {
                "cut short": b'{"version": 2, "desk": {"calls": [{"phase": "exploded"',
                "not a desk": b'{"version": 2, "desk": {"calls": [{"phase": "exploded"}]}}',
                "empty": b"",
                "not text": b"\xff\xfe\x00",
                "no permission": b'{"version": 2, "desk": {}}',
            }[kind]
        )
    if kind == "no permission":
        if os.geteuid() == 0:
            pytest.skip("root reads every file")
        path.chmod(0)
    store = DraftStore(path)
    assert store.load_desk(FakeClock(T0)) is None
    (aside,) = tmp_path.glob("draft.json.unreadable-*")
    assert not path.exists()
    assert "could not be read" in store.notices[0]
    assert aside.name in store.notices[0]
    store.save(_busy_desk(FakeClock(T0)).to_data())  # and the next save works
    assert store.load_desk(FakeClock(T0)) is not None


def test_a_single_call_draft_from_before_the_desk_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "draft.json"
    old = {
        "version": 1,
        "draft": {
            "state": "connected",
            "direction": "outbound",
            "dialed_at": T0.isoformat(),
            "answered_at": (T0 + timedelta(seconds=4)).isoformat(),
            "completed_at": None,
            "prospect_id": 12,
            "prospect_name": "Jane Doe",
            "vendor_call_id": "5b0c3f5e-1111-4222-8333-944445555666",
            "form": {"note": "Budget approved", "tags": "q3", "disposition_id": 3},
        },
    }
    path.write_text(json.dumps(old), encoding="utf-8")
    desk = DraftStore(path).load_desk(FakeClock(T0 + timedelta(minutes=5)))
    assert desk is not None
    (call,) = desk.calls
    assert call.id == "5b0c3f5e-1111-4222-8333-944445555666"  # the same vendorCallId
    assert (call.phase, call.end_unknown, call.prospect) == (Phase.WRAPPING, True, ADA)
    assert call.times.answered_at == T0 + timedelta(seconds=4)
    assert desk.form["note"] == "Budget approved"
    assert desk.compose().attributes.vendorCallId == call.id  # loggable as it is


def test_an_idle_single_call_draft_keeps_the_card_and_what_was_typed(tmp_path: Path) -> None:
    path = tmp_path / "draft.json"
    old = {"state": "idle", "prospect_id": 12, "prospect_name": "Jane Doe", "form": {"note": "x"}}
    path.write_text(json.dumps({"version": 1, "draft": old}), encoding="utf-8")
    desk = DraftStore(path).load_desk(FakeClock(T0))
    assert desk is not None
    assert (desk.calls, desk.card, desk.form["note"]) == ([], ADA, "x")


def test_a_huge_note_is_cut_for_the_form_and_kept_whole_beside_the_draft(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    desk = _busy_desk(clock)
    store = DraftStore(tmp_path / "draft.json")
    huge = "y" * 2_000_000  # one line, 2 MB
    desk.set_form({"note": huge})
    store.save(desk.to_data())
    again = store.load_desk(clock)
    assert again is not None
    assert again.form["note"] == huge[:NOTE_MAX]
    (kept,) = tmp_path.glob("draft.note-*.txt")
    assert kept.read_text(encoding="utf-8") == huge
    assert kept.stat().st_mode & 0o777 == 0o600
    assert "2,000,000 characters" in store.notices[0]
    assert str(kept) in store.notices[0]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "calls",
                    "current",
                    "card",
                    "card_armed",
                    "spare_form",
                    "id",
                    "phase",
                    "direction",
                    "prospect",
                    "dialed_at",
                    "form",
                    "note",
                    "links",
                    "candidates",
                    "name",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@pytest.mark.slow
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(desk=_json, version=st.sampled_from([1, 2, 3, None, "2"]))
def test_whatever_the_draft_file_holds_loading_never_raises(
    tmp_path: Path, desk: object, version: object
) -> None:
    path = tmp_path / "draft.json"
    path.write_text(json.dumps({"version": version, "desk": desk, "draft": desk}), "utf-8")
    store = DraftStore(path)
    loaded = store.load_desk(FakeClock(T0))
    assert loaded is not None or store.notices or not path.exists()
    if loaded is not None:
        for call in loaded.calls:
            call.times.check_order()
