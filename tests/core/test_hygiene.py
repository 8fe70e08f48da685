"""Number hygiene on the card: a bad number is never offered to Alt+N, and what the outbox is
writing shows at once, until Outreach's own answer settles it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.hygiene import Marks, by_key, marked, offered
from dialer_app.core.outreach.detail import ProspectDetail
from dialer_app.core.outreach.models import BAD_NUMBER, PhoneNumber, Prospect


def _detail(*numbers: PhoneNumber, opted_out: bool = False) -> ProspectDetail:
    prospect = Prospect(7, "Ada", "Lovelace", call_opted_out=opted_out, phone_numbers=numbers)
    return ProspectDetail(prospect, "", (), None, ())


WORK = PhoneNumber(1, "+12125550101", "work")
MOBILE = PhoneNumber(2, "+12125550102", "mobile")
HOME = PhoneNumber(3, "+12125550103", "home", status=BAD_NUMBER)


def test_bad_numbers_come_last_without_a_key() -> None:
    shown = offered([HOME, WORK, MOBILE])
    assert [(o.number.id, o.key) for o in shown] == [(1, 1), (2, 2), (3, None)]
    assert by_key([HOME, WORK, MOBILE], 1) == WORK
    assert by_key([HOME, WORK, MOBILE], 3) is None


def test_a_mark_shows_at_once_and_goes_when_settled() -> None:
    marks = Marks()
    detail = _detail(WORK, MOBILE)
    assert marked(detail, marks) is detail
    marks.mark_number("op-1", WORK.id, bad=True)
    marks.mark_opt_out("op-2", 7, opted_out=True)
    shown = marked(detail, marks)
    assert shown.prospect.call_opted_out
    assert [n.is_bad for n in shown.prospect.phone_numbers] == [True, False]
    assert by_key(shown.prospect.phone_numbers, 1) == MOBILE
    assert marks.settle("op-1")
    assert marks.settle("op-2")
    assert not marks.settle("op-2")
    assert marked(detail, marks) is detail


def test_the_latest_mark_of_a_number_wins() -> None:
    marks = Marks()
    marks.mark_number("op-1", HOME.id, bad=True)
    marks.mark_number("op-2", HOME.id, bad=False)  # the rep took it back
    shown = marked(_detail(HOME), marks)
    assert not shown.prospect.phone_numbers[0].is_bad
    assert not marks.settle("op-1")  # replaced: its end changes nothing


PHONES = st.lists(
    st.builds(
        PhoneNumber,
        id=st.integers(1, 30),
        number=st.just("+12125550100"),
        status=st.sampled_from(["", BAD_NUMBER, "other"]),
    ),
    max_size=14,
    unique_by=lambda n: n.id,
)


@given(numbers=PHONES)
def test_alt_keys_reach_every_good_number_up_to_nine_and_no_bad_one(
    numbers: list[PhoneNumber],
) -> None:
    shown = offered(numbers)
    assert sorted(o.number.id for o in shown) == sorted(n.id for n in numbers)
    keys = [o.key for o in shown if o.key is not None]
    assert keys == list(range(1, len(keys) + 1))
    good = [n for n in numbers if not n.is_bad]
    assert len(keys) == min(9, len(good))
    for key in range(1, 10):
        number = by_key(numbers, key)
        assert (number is None) == (key > len(good))
        assert number is None or not number.is_bad
