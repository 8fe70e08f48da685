"""What a cold start of `dialer-app` has loaded when its window is first painted.

`python -m tests.support.first_paint` starts the app as `python -m dialer_app` does (demo mode on
`DIALER_HOME`, with the start-up probe) and, at the main window's first paint, prints one line of
JSON: the modules loaded so far (`modules`), the Qt classes whose Python side was already set up
(`qt_classes`: PySide6 creates a class — and every enum it holds — on first use; Qt's own
namespace alone is ~100 enums), the window's title, the accessible names of the widgets shown
(`shown`) and of the one with the keyboard focus (`focus`); then it exits at once (what comes
after the first paint is not its business).
"""

from __future__ import annotations

import os
import runpy
import sys

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

import dialer_app.ui.probe as probe

MARK = "first-paint-state "


def _set_up(module: object) -> list[str]:
    """The classes of a PySide6 module already created (a lazy one is not in its namespace)."""
    return sorted(k for k, v in vars(module).items() if isinstance(v, type))


QT_MODULES = ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtNetwork")


def _shown(window: QWidget) -> list[str]:
    return sorted(
        w.accessibleName()
        for w in window.findChildren(QWidget)
        if w.accessibleName() and w.isVisible()
    )


def _report(window: QWidget) -> None:
    modules = sorted(name for name, module in sys.modules.items() if module is not None)
    import json  # after the count: the app itself does not load it before its first paint

    classes = {name: _set_up(sys.modules[name]) for name in QT_MODULES if name in sys.modules}
    focus = QApplication.focusWidget()
    doc = {
        "modules": modules,
        "qt_classes": classes,
        "title": window.windowTitle(),
        "shown": _shown(window),
        "focus": focus.accessibleName() if focus is not None else None,
    }
    print(MARK + json.dumps(doc), flush=True)
    os._exit(0)


_original = probe.FirstPaintProbe.eventFilter


def _event_filter(self: probe.FirstPaintProbe, watched: QObject, event: QEvent) -> bool:
    if not self._done and event.type() == QEvent.Type.Paint:
        _report(self._window)
    return _original(self, watched, event)


def main() -> None:
    probe.FirstPaintProbe.eventFilter = _event_filter  # type: ignore[method-assign]
    sys.argv = ["dialer-app"]
    runpy.run_module("dialer_app", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
