"""Showing text from outside as plain text, everywhere: the one way the window does it.

Qt draws a label's text, a tooltip or a message box as rich text (HTML: images, links, styles)
whenever it merely looks like markup (`Qt.TextFormat.AutoText`). Text from Outreach, a file, a
link or the softphone must never be drawn that way, so every label that can show such text is
made plain once (`plain`), and where Qt has no plain-text switch — tooltips, item-view tooltips,
message boxes — the text goes through `literal`, which escapes what Qt would take for markup
into a paragraph that shows exactly those characters (`set_tooltip`, `ask`). Bidi controls are
removed on the way (`core.text`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.text import isolate, neutralise, one_line

if TYPE_CHECKING:  # loaded when first used: the window's frame imports this module
    from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

__all__ = ["ask", "isolate", "literal", "neutralise", "one_line", "plain", "set_tooltip"]


def plain(*labels: QLabel) -> None:
    """Make each label show its text literally, whatever it holds."""
    from PySide6.QtCore import Qt

    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)


def literal(text: str) -> str:
    """`text` (bidi controls removed) as Qt's automatic format shows it literally: unchanged
    unless Qt would take it for markup, else escaped into a paragraph that keeps its spaces."""
    from html import escape

    from PySide6.QtGui import Qt

    text = neutralise(text).replace("\r\n", "\n")
    if not Qt.mightBeRichText(text):
        return text
    return f'<p style="white-space:pre-wrap">{escape(text, quote=False)}</p>'


def set_tooltip(widget: QWidget, text: str) -> None:
    widget.setToolTip(literal(text))


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton,
    default: QMessageBox.StandardButton,
) -> QMessageBox.StandardButton:
    """`QMessageBox.question`, its text shown literally."""
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox.question(parent, title, literal(text), buttons, default)
