"""Finding widgets the way a screen reader does: by accessible name."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def by_name(root: QWidget, name: str, kind: type[W] = QWidget) -> W:  # type: ignore[assignment]
    """The one widget under `root` whose accessible name is `name` — of several (compact mode
    has its own Disposition, Notes and Log call), the one that shows, as a screen reader
    finds it."""
    found = [w for w in root.findChildren(kind) if w.accessibleName() == name]
    if len(found) > 1:
        found = [w for w in found if w.isVisibleTo(root)]
    assert len(found) == 1, f"expected one widget named {name!r}, found {len(found)}"
    return found[0]


def type_query(qtbot: object, service: object, box: QWidget, text: str) -> None:
    """Type `text` into the search box, as a rep would, and wait for the answer to all of it."""
    with qtbot.waitSignal(  # type: ignore[attr-defined]
        service.lookup.searchFinished,  # type: ignore[attr-defined]
        timeout=10_000,
        check_params_cb=lambda query, _matches: query == text.strip(),
    ):
        qtbot.keyClicks(box, text)  # type: ignore[attr-defined]


def end_a_call(qtbot: object, win: object, service: object) -> None:
    """Open the first prospect matching "a", dial, hang up, pick the first disposition."""
    from PySide6.QtWidgets import QLineEdit

    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), "a")  # type: ignore[arg-type]
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):  # type: ignore[attr-defined]
        win.search._choose(0)  # type: ignore[attr-defined]
    win.call.dial.click()  # type: ignore[attr-defined]
    win.call.hang_up.click()  # type: ignore[attr-defined]
    win.wrapup.disposition.setCurrentIndex(1)  # type: ignore[attr-defined]


def phase(win: object) -> str:
    """Where the window's phone call stands, as the desk says: "idle", "ringing" (dialling out
    or ringing in), "live", "ended" or "wrapping" (ended, in the wrap-up form)."""
    call = win.desk.phone_call  # type: ignore[attr-defined]
    return "idle" if call is None else call.phase.value
