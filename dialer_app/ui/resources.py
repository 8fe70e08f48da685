"""Where the app's bundled resources are: next to the package, in a wheel, or in a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Qt sets up its icon class (and the svg plugin) when the first icon loads
    from PySide6.QtGui import QIcon

_PACKAGE = Path(__file__).resolve().parents[1]


def resource(*parts: str) -> Path:
    """The path of a bundled resource (`resource("icons", "dialer-companion.svg")`)."""
    candidates = [
        Path(getattr(sys, "_MEIPASS", "")) / "resources",  # a frozen build
        _PACKAGE / "resources",  # an installed wheel
        _PACKAGE.parent / "resources",  # a source checkout
    ]
    for base in candidates:
        path = base.joinpath(*parts)
        if path.exists():
            return path
    return candidates[-1].joinpath(*parts)


def app_icon() -> QIcon:
    from PySide6.QtGui import QIcon

    return QIcon(str(resource("icons", "dialer-companion.svg")))
