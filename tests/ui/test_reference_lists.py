"""The org's dispositions and purposes stay current while the app runs: read again in the
background when the rep comes back to the window after ten minutes, and when Outreach refuses
a call naming one that is gone. Any disposition — the tenth and beyond too — is a few letters
away in the list."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget

from dialer_app.sandbox.resources import CALL_DISPOSITION
from dialer_app.sandbox.store import Store
from tests.support.qt import by_name, end_a_call

STAMP = "2025-01-01T00:00:00.000Z"


@pytest.fixture
def own(make_sandbox) -> Any:
    return make_sandbox("--prospects", "30")


def _add_disposition(server: Any, name: str, order: int) -> int:
    store = Store.open(server.data_dir)
    try:
        row = store.create(
            CALL_DISPOSITION,
            {
                "name": name,
                "order": order,
                "outcome": "Answered",
                "createdAt": STAMP,
                "updatedAt": STAMP,
            },
            {},
        )
    finally:
        store.close()
    return row.id


def _names(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def _activate(qtbot: Any, win: QWidget) -> None:
    """The rep goes to another window, then comes back to this one."""
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other)
    other.hide()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)


def test_coming_back_after_ten_minutes_reads_the_lists_again(qtbot, own, make_window) -> None:
    opened = make_window(own)
    win, service, clock = opened.win, opened, opened.clock
    combo = by_name(win, "Disposition", QComboBox)
    _add_disposition(own, "Callback Booked", 20)
    clock.advance(9 * 60)
    _activate(qtbot, win)  # not ten minutes yet: nothing is asked
    assert not any("Callback Booked" in n for n in _names(combo))
    clock.advance(61)
    with qtbot.waitSignal(service.lookup.referenceLoaded, timeout=10_000):
        _activate(qtbot, win)
    assert any("Callback Booked" in n for n in _names(combo))
    with qtbot.assertNotEmitted(service.lookup.referenceLoaded, wait=200):
        _activate(qtbot, win)  # just read: not again on every focus


def test_a_call_refused_for_a_deleted_disposition_reads_the_lists_again(
    qtbot, own, make_window
) -> None:
    doomed = _add_disposition(own, "Old Outcome", 30)
    opened = make_window(own)
    win, service = opened.win, opened
    combo = by_name(win, "Disposition", QComboBox)
    assert combo.findData(doomed) >= 0
    end_a_call(qtbot, win, service)
    combo.setCurrentIndex(combo.findData(doomed))
    store = Store.open(own.data_dir)
    store.delete(CALL_DISPOSITION, doomed)  # an admin removes it meanwhile
    store.close()
    with (
        qtbot.waitSignal(service.logbook.callParked, timeout=15_000),
        qtbot.waitSignal(service.lookup.referenceLoaded, timeout=15_000),
    ):
        win._on_log_button_clicked()
    assert combo.findData(doomed) == -1  # gone from the list: the next call cannot pick it
    assert "refused" in by_name(win, "Messages", QLabel).text()


def test_a_disposition_gone_from_the_org_is_unpicked_and_the_rep_told(
    qtbot, own, make_window
) -> None:
    doomed = _add_disposition(own, "Soon Gone", 31)
    opened = make_window(own)
    win, service = opened.win, opened
    end_a_call(qtbot, win, service)
    combo = by_name(win, "Disposition", QComboBox)
    combo.setCurrentIndex(combo.findData(doomed))
    store = Store.open(own.data_dir)
    store.delete(CALL_DISPOSITION, doomed)
    store.close()
    with qtbot.waitSignal(service.lookup.referenceLoaded, timeout=10_000):
        service.lookup.refresh_reference()
    assert combo.currentData() is None
    assert win.desk.form.get("disposition_id") is None
    assert "no longer in Outreach" in by_name(win, "Messages", QLabel).text()


def test_any_disposition_is_a_few_letters_away_the_first_nine_a_digit(
    qtbot, own, make_window
) -> None:
    for order, name in enumerate(("Referral Given", "Zebra Follow-up", "Quoted", "Demo Done")):
        _add_disposition(own, name, 40 + order)
    opened = make_window(own)
    win, service = opened.win, opened
    end_a_call(qtbot, win, service)
    combo = by_name(win, "Disposition", QComboBox)
    assert combo.count() > 10  # "Choose a disposition" and 12
    win.activateWindow()
    combo.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is combo)
    qtbot.keyClicks(combo, "zeb")  # the eleventh, by name
    assert "Zebra Follow-up" in combo.currentText()
    qtbot.keyClick(combo, Qt.Key.Key_Escape)  # starts afresh (as a pause does)
    qtbot.keyClick(combo, Qt.Key.Key_3)  # a digit: the third
    assert combo.currentIndex() == 3
    qtbot.keyClick(combo, Qt.Key.Key_Escape)
    qtbot.keyClicks(combo, "left")  # a name among the first nine works too
    assert "Left Voicemail" in combo.currentText()
    qtbot.keyClick(combo, Qt.Key.Key_Escape)
    qtbot.keyClicks(combo, "follow")  # not at the start: contained
    assert "Zebra Follow-up" in combo.currentText()
