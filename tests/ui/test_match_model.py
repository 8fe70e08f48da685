"""The matches model stays a well-behaved Qt model whatever answers follow each other."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QListView

from dialer_app.core.outreach.models import Match, Prospect

ANSWERS = st.lists(
    st.tuples(
        st.lists(st.integers(1, 40), max_size=25),  # the prospects of an answer, in its order
        st.booleans(),  # a keystroke greyed the rows out before it came
    ),
    max_size=12,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=ANSWERS)
def test_any_run_of_answers_keeps_the_model_and_its_view_consistent(qtbot, answers) -> None:
    """Answers of any size, the same people again or others, rows greyed out in between: Qt's
    own model tester, watching every signal, finds nothing wrong (a warning fails the test);
    the rows are always the answer's people in its order, pickable, and the view's current
    row, when it has one, is one of them."""
    from dialer_app.ui.models import MatchListModel

    model = MatchListModel()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    view = QListView()
    qtbot.addWidget(view)
    view.setModel(model)
    for ids, greyed in answers:
        if greyed:
            model.set_stale(True)
        model.set_matches([Match(Prospect(i, f"P{i}", "Q"), "name") for i in ids], "p")
        shown = [model.match_at(r) for r in range(model.rowCount())]
        assert [m.prospect.id if m else None for m in shown] == ids
        assert not model.stale
        current = view.currentIndex()
        assert not current.isValid() or 0 <= current.row() < len(ids)
    del tester
