"""Finding widgets the way a screen reader does: by accessible name."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def by_name(root: QWidget, name: str, kind: type[W] = QWidget) -> W:  # type: ignore[assignment]
    """The one widget under `root` whose accessible name is `name`."""
    found = [w for w in root.findChildren(kind) if w.accessibleName() == name]
    assert len(found) == 1, f"expected one widget named {name!r}, found {len(found)}"
    return found[0]


def type_query(qtbot: object, service: object, box: QWidget, text: str) -> None:
    """Type `text` into the search box, as a rep would, and wait for the answer to all of it."""
    with qtbot.waitSignal(  # type: ignore[attr-defined]
        service.searchFinished,  # type: ignore[attr-defined]
        timeout=10_000,
        check_params_cb=lambda query, _matches: query == text.strip(),
    ):
        qtbot.keyClicks(box, text)  # type: ignore[attr-defined]
