"""The prospect card: who the rep is calling."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ..core.outreach.models import Prospect
from ..core.phone import pretty


class ProspectCard(QFrame):
    """Name, title and company, phone numbers, opt-out warning."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Prospect card")
        self.name = QLabel("No prospect selected", self)
        self.name.setObjectName("card-name")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.name.setFont(font)
        self.subtitle = QLabel("Search above, then pick a match.", self)
        self.subtitle.setWordWrap(True)
        self.phones = QLabel(self)
        self.phones.setObjectName("card-phones")
        self.phones.setWordWrap(True)
        self.warning = QLabel(self)
        self.warning.setObjectName("card-warning")
        self.warning.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.warning.hide()
        layout = QVBoxLayout(self)
        for w in (self.name, self.subtitle, self.phones, self.warning):
            layout.addWidget(w)

    def show_prospect(self, prospect: Prospect) -> None:
        self.name.setText(prospect.name)
        self.subtitle.setText(" · ".join(x for x in (prospect.title, prospect.company) if x))
        self.phones.setText(
            "\n".join(
                f"{n.phone_type or 'phone'}: {pretty(n.number)}"
                + (f" ext. {n.extension}" if n.extension else "")
                for n in prospect.phone_numbers
            )
            or "No phone numbers on file."
        )
        self.warning.setText("Opted out of calls." if prospect.call_opted_out else "")
        self.warning.setVisible(prospect.call_opted_out)

    def show_loading(self, name: str) -> None:
        self.name.setText(name)
        self.subtitle.setText("Loading…")
        self.phones.clear()
        self.warning.hide()

    def clear_prospect(self) -> None:
        self.name.setText("No prospect selected")
        self.subtitle.setText("Search above, then pick a match.")
        self.phones.clear()
        self.warning.hide()
