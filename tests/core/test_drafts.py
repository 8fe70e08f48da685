"""Drafts survive a crash whole, and a damaged draft never stops the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dialer_app.core.drafts import Draft, DraftStore
from dialer_app.core.session import CallState, CallTimes

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _draft() -> Draft:
    return Draft.capture(
        CallState.CONNECTED,
        CallTimes(dialed_at=T0, answered_at=T0 + timedelta(seconds=4)),
        prospect_id=12,
        prospect_name="Jane Doe",
        vendor_call_id="vid-1",
        form={"note": "Budget approved", "tags": "q3", "disposition_id": 3},
    )


def test_a_saved_draft_comes_back_exactly(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "draft.json")
    store.save(_draft())
    again = DraftStore(tmp_path / "draft.json").load()
    assert again == _draft()
    assert again is not None
    assert again.call_state() is CallState.CONNECTED
    assert again.times().answered_at == T0 + timedelta(seconds=4)


def test_an_empty_draft_removes_the_file(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "draft.json")
    store.save(_draft())
    store.save(Draft())
    assert store.load() is None
    assert not (tmp_path / "draft.json").exists()


def test_saving_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "draft.json")
    for _ in range(5):
        store.save(_draft())
    assert [p.name for p in tmp_path.iterdir()] == ["draft.json"]


def test_a_damaged_draft_is_set_aside_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "draft.json"
    path.write_text('{"version": 1, "draft": {"state": "exploded"', encoding="utf-8")
    assert DraftStore(path).load() is None
    assert (tmp_path / "draft.unreadable").exists()
