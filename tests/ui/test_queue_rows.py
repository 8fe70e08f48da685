"""A call task's row in the list: any text Outreach sends is shown literally, on its two lines,
and says what a rep needs — who, due when, their time, callable or not, what the task is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import Qt

from dialer_app.core.worklist import QueueItem
from dialer_app.ui.queue_panel import Row, row_of

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday: 16:00 in Berlin
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(max_size=120),
    company=st.text(max_size=120),
    note=st.text(max_size=400),
    sequence=st.text(max_size=60),
    zone=st.sampled_from(["", "Europe/Berlin", "Asia/Tokyo", "Nowhere/Else"]),
)
def test_any_text_from_outreach_is_two_plain_lines(
    name: str, company: str, note: str, sequence: str, zone: str
) -> None:
    item = QueueItem(
        7,
        NOW - timedelta(days=1),
        prospect_id=3,
        name=name,
        company=company,
        time_zone=zone,
        note=note,
        sequence_name=sequence,
        step_order=2,
    )
    row = row_of(item, NOW, (8, 20), current=False, number=1)
    assert row.display.count("\n") == 1, "always two lines"
    for text in (row.display, row.accessible):
        assert not set(text) & set(BIDI)
    if Qt.mightBeRichText(row.tooltip):  # escaped into a paragraph, shown literally
        assert row.tooltip.startswith('<p style="white-space:pre-wrap">')
    assert "due yesterday" in row.display
    assert row.accessible.startswith("1. ")


def _row(n: int, current: bool = False, **fields: object) -> Row:
    return row_of(QueueItem(n, NOW, **fields), NOW, (8, 20), current=current, number=n)  # type: ignore[arg-type]


def test_the_row_says_their_time_and_whether_they_may_be_called_now() -> None:
    berlin = _row(1, current=True, name="Ada", time_zone="Europe/Berlin")
    assert berlin.callable_now
    assert berlin.display.startswith("▶ Ada")
    assert "16:00 their time" in berlin.display
    assert "Open: Ada" in berlin.accessible
    tokyo = _row(2, name="Kenji", time_zone="Asia/Tokyo")
    assert not tokyo.callable_now
    assert "Thu 00:00 their time, outside calling hours" in tokyo.display
    unknown = _row(3, name="Sam")
    assert unknown.callable_now
    assert "their time unknown" in unknown.display
    callback = _row(4, name="Lee", callback=True, note="Send the quote")
    assert "Callback" in callback.display
    assert "Send the quote" in callback.tooltip
