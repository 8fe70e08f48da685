"""The "Create prospect" form: a caller nobody knew (or the person a call was really with)
becomes a prospect; what is wrong is said next to its field."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..core.prospect_form import PHONE_TYPE_LABELS, FormErrors, ProspectForm
from .text import plain
from .widgets import FieldErrorLabel


class NewProspectDialog(QDialog):
    """First and last name, company, title, the number and its type; Create or Cancel.

    `submit(form)` checks the form and hands it to the outbox, or raises `FormErrors` (a key
    that is no field — the outbox could not store it — is said under the form): then the
    errors stay next to their fields, the form stays open and nothing typed is lost.
    """

    def __init__(
        self, submit: Callable[[ProspectForm], object], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("new-prospect")
        self.setWindowTitle("Create prospect")
        self._submit = submit
        self.intro = QLabel(self)
        self.intro.setObjectName("new-prospect-intro")
        self.intro.setWordWrap(True)
        plain(self.intro)
        self.first_name = QLineEdit(self)
        self.last_name = QLineEdit(self)
        self.company = QLineEdit(self)
        self.title = QLineEdit(self)
        self.number = QLineEdit(self)
        self.number.setPlaceholderText("+1 212 555 0199 ext. 42 (optional)")
        self.phone_type = QComboBox(self)
        for key, label in PHONE_TYPE_LABELS.items():
            self.phone_type.addItem(label, key)
        self.fields = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "title": self.title,
            "number": self.number,
            "phone_type": self.phone_type,
        }
        self.errors: dict[str, FieldErrorLabel] = {}
        form = QFormLayout()
        for name, label, widget in (
            ("first_name", "&First name", self.first_name),
            ("last_name", "&Last name", self.last_name),
            ("company", "&Company", self.company),
            ("title", "T&itle", self.title),
            ("number", "&Number", self.number),
            ("phone_type", "Number &type", self.phone_type),
        ):
            words = label.replace("&", "")
            widget.setAccessibleName(words)
            row_label = QLabel(label, self)
            row_label.setBuddy(widget)
            form.addRow(row_label, widget)
            error = FieldErrorLabel(words, self)
            form.addRow("", error)
            self.errors[name] = error
        self.general_error = FieldErrorLabel("Create prospect", self)
        self.buttons = QDialogButtonBox(self)
        self.create_button = self.buttons.addButton(
            "Create", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setAccessibleName("Create")
        self.create_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def start(
        self, *, intro: str, number: str = "", phone_type: str = "work", name: str = ""
    ) -> None:
        """Open the form afresh: `number` (as the rep reads it) and `name` filled in."""
        self.intro.setText(intro)
        for widget in self.fields.values():
            if isinstance(widget, QLineEdit):
                widget.clear()
        first, _, last = name.strip().partition(" ")
        self.first_name.setText(first)
        self.last_name.setText(last.strip())
        self.number.setText(number)
        index = self.phone_type.findData(phone_type)
        self.phone_type.setCurrentIndex(max(index, 0))
        self.clear_errors()
        self.show()
        self.raise_()
        self.activateWindow()
        self.first_name.setFocus()

    def form(self) -> ProspectForm:
        return ProspectForm(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            company=self.company.text(),
            title=self.title.text(),
            number=self.number.text(),
            phone_type=str(self.phone_type.currentData() or ""),
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message next to its field; the first field at fault gets the focus."""
        self.clear_errors()
        first: QWidget | None = None
        for name, message in errors.items():
            label = self.errors.get(name, self.general_error)
            label.show_error(message)
            if first is None and name in self.fields:
                first = self.fields[name]
        if first is not None:
            first.setFocus()

    def clear_errors(self) -> None:
        for label in (*self.errors.values(), self.general_error):
            label.clear_error()

    def _on_buttons_accepted(self) -> None:
        try:
            self._submit(self.form())
        except FormErrors as exc:
            self.show_errors(exc.errors)
            return
        self.clear_errors()
        self.accept()
