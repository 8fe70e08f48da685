"""Render the app icon (one SVG) into the formats installers want: .ico (Windows), .icns (macOS).

    python packaging/icons.py OUT_DIR

Writes OUT_DIR/dialer-companion.ico and OUT_DIR/dialer-companion.icns with Qt's own image
plugins, so no icon is kept twice in the repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QImage, QImageReader, QImageWriter

SVG = Path(__file__).resolve().parents[1] / "resources" / "icons" / "dialer-companion.svg"
SIZES = {"ico": 256, "icns": 1024}


def render(svg: Path, size: int) -> QImage:
    reader = QImageReader(str(svg))
    reader.setScaledSize(QSize(size, size))
    image = reader.read()
    if image.isNull():
        raise SystemExit(f"cannot render {svg}: {reader.errorString()}")
    return image


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication([])
    for fmt, size in SIZES.items():
        target = out / f"dialer-companion.{fmt}"
        writer = QImageWriter(str(target), fmt.encode())
        if not writer.write(render(SVG, size)):
            raise SystemExit(f"cannot write {target}: {writer.errorString()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
