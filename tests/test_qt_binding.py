"""The Qt binding in use survives a long session (PySide6 6.12.0 on Python 3.11 did not)."""

from __future__ import annotations

import os
import subprocess
import sys

LONG_SESSION = """
from PySide6.QtWidgets import QApplication, QPushButton
app = QApplication([])
button = QPushButton("Dial")
button.clicked.connect(lambda: None)
for _ in range(20_000):  # about a day of clicks and label updates
    button.click()
    button.setText("Hang up")
print("survived")
"""


def test_thousands_of_widget_calls_do_not_corrupt_the_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", LONG_SESSION],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "survived"
