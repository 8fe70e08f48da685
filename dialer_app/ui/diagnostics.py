"""Help → Copy diagnostics…: the bundle listed to the rep, then saved where they choose; and
`dialer-app --diagnostics [FILE]`, which does the same from a terminal.

What goes into the bundle, and what is kept out of it, is `core.diagnostics`; here is only what
Qt knows (its version, the platform in use) and the dialog.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core import diagnostics, paths

if TYPE_CHECKING:
    from ..services.connection import Connection


def qt_description() -> dict[str, str]:
    """Qt's side for about.txt: versions, and the platform in use (or the one Qt would pick)."""
    from PySide6 import __version__ as pyside_version

    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        platform = app.platformName()
    else:
        platform = os.environ.get("QT_QPA_PLATFORM") or _likely_platform()
        platform += " (not running; the platform Qt would pick)"
    return {
        "Qt": f"{qVersion()} (PySide6 {pyside_version})",
        "Qt platform": platform,
        **_xcb_problems(),
    }


def _likely_platform() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "cocoa"
    if os.environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb" if os.environ.get("DISPLAY") else "none (no display)"


def _xcb_problems() -> dict[str, str]:
    """On Linux: the libraries X11's platform plugin needs and cannot find (the usual reason
    for "could not load the Qt platform plugin xcb")."""
    if not sys.platform.startswith("linux"):
        return {}
    import shutil
    import subprocess

    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file() or shutil.which("ldd") is None:
        return {}
    try:
        out = subprocess.run(
            ["ldd", str(plugin)], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    missing = sorted({line.split()[0] for line in out.splitlines() if "not found" in line})
    return {"xcb plugin misses": ", ".join(missing) or "nothing"}


def session_secrets(connection: Connection | None) -> list[str]:
    """The tokens this window's session holds, to keep them out of the bundle by value too."""
    backend = getattr(connection, "backend", None)
    found = [getattr(backend, "token", "") or ""]
    oauth = getattr(connection, "oauth", None)
    tokens = getattr(oauth, "tokens", None)
    found += [getattr(tokens, "access_token", ""), getattr(tokens, "refresh_token", "")]
    return [t for t in found if t]


def collect(secrets: list[str] | None = None) -> diagnostics.Bundle:
    return diagnostics.collect(
        data_dir=paths.data_dir(),
        config_dir=paths.config_dir(),
        log_dir=paths.log_dir(),
        qt=qt_description(),
        secrets=secrets or [],
    )


def write_from_cli(target: str) -> int:
    """`dialer-app --diagnostics [FILE]`: list what the bundle holds, then save it."""
    bundle = collect()
    path = Path(target or diagnostics.default_name()).expanduser().resolve()
    print("The diagnostics bundle holds (no tokens, secrets, notes or full numbers):")
    print(bundle.listing())
    try:
        bundle.write(path)
    except OSError as exc:
        print(f"dialer-app: could not save {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Saved {path}: send it to your helpdesk.")
    return 0


class DiagnosticsDialog(QDialog):
    """Lists each file of the bundle with its full text; Save… writes the zip."""

    def __init__(self, connection: Connection | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Copy diagnostics")
        self.connection = connection
        self.bundle = diagnostics.Bundle()
        self.saved: Path | None = None
        intro = QLabel(
            "A zip for your helpdesk: versions, settings, org profiles (names and addresses),"
            " the outbox's counts and last errors, and the last log lines. Tokens, secrets,"
            " notes and full phone numbers are taken out. Nothing is sent: you choose where"
            " to save it. Check each file below first.",
            self,
        )
        intro.setWordWrap(True)
        self.files = QListWidget(self)
        self.files.setAccessibleName("Files in the bundle")
        self.contents = QPlainTextEdit(self)
        self.contents.setReadOnly(True)
        self.contents.setAccessibleName("File contents")
        self.contents.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.status = QLabel(self)
        self.status.setObjectName("diagnostics-status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.save_button = QPushButton("Save…", self)
        self.save_button.setAccessibleName("Save diagnostics")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.files.currentRowChanged.connect(self._on_files_current_row_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.files)
        layout.addWidget(self.contents, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(640, 560)

    def refresh(self) -> None:
        """Gather the bundle afresh and list it."""
        self.bundle = collect(session_secrets(self.connection))
        self.files.clear()
        for item in self.bundle.items:
            self.files.addItem(
                f"{item.name}  ({diagnostics.size_text(item.size)}) — {item.description}"
            )
        rows = max(self.files.count(), 1)
        self.files.setFixedHeight(self.files.sizeHintForRow(0) * rows + 2 * self.files.frameWidth())
        self.files.setCurrentRow(0)
        self.status.setText("")

    def _on_files_current_row_changed(self, row: int) -> None:
        items = self.bundle.items
        self.contents.setPlainText(items[row].text if 0 <= row < len(items) else "")

    def _on_save_button_clicked(self) -> None:
        start = Path.home() / diagnostics.default_name()
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save diagnostics", str(start), "Zip files (*.zip)"
        )
        if chosen:
            self.save_to(Path(chosen))

    def save_to(self, path: Path) -> bool:
        """Write exactly what is listed; the status line says where, or why not."""
        try:
            self.saved = self.bundle.write(path)
        except OSError as exc:
            self.status.setText(f"Not saved: {exc.strerror or exc}. Choose another folder.")
            return False
        self.status.setText(f"Saved {path}. Send this file to your helpdesk.")
        return True
