"""The Accounts dialog: org profiles, the keychain, signing in with Outreach and out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.auth.profiles import DEFAULT_API, Profile, ProfileError
from ..core.auth.secrets import SecretStoreError
from ..services.accounts import AccountService
from .text import isolate, neutralise, one_line, plain
from .widgets import FieldErrorLabel

if TYPE_CHECKING:
    from ..core.doctor import Report

FIELDS = (
    ("name", "Org name"),
    ("api_base_url", "API address"),
    ("client_id", "Client id"),
    ("client_secret", "Client secret"),
    ("redirect_port", "Redirect port"),
)


class AccountsDialog(QDialog):
    """Add or edit org profiles, sign in with Outreach (in the browser), sign out.

    Signals:
        plainFileOptIn(bool): the rep chose (or stopped choosing) the plain-file fallback.
    """

    plainFileOptIn = Signal(bool)

    def __init__(
        self,
        accounts: AccountService,
        *,
        plain_file_allowed: Callable[[], bool] = lambda: False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Accounts")
        self.accounts = accounts
        self._plain_file_allowed = plain_file_allowed
        self._editing: str | None = None

        self.store_label = QLabel(self)
        self.store_label.setObjectName("store")
        self.store_label.setWordWrap(True)
        self.plain_file = QCheckBox(
            "Keep secrets in a plain file instead (NOT SECURE: anyone who can read your "
            "files can read them)",
            self,
        )
        self.plain_file.setAccessibleName("Plain-file fallback")
        self.plain_file.toggled.connect(self._on_plain_file_toggled)

        self.list = QListWidget(self)
        self.list.setAccessibleName("Profiles")
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.new_button = QPushButton("New profile", self)
        self.new_button.clicked.connect(self._on_new_button_clicked)

        self.inputs: dict[str, QLineEdit] = {}
        self.errors: dict[str, FieldErrorLabel] = {}
        form = QFormLayout()
        for key, label in FIELDS:
            edit = QLineEdit(self)
            edit.setAccessibleName(label)
            self.inputs[key] = edit
            self.errors[key] = FieldErrorLabel(label, self)
            column = QVBoxLayout()
            column.addWidget(edit)
            column.addWidget(self.errors[key])
            form.addRow(label, column)
        self.inputs["client_secret"].setEchoMode(QLineEdit.EchoMode.Password)
        self.inputs["redirect_port"].setPlaceholderText("0 = any free port")
        self.inputs["api_base_url"].setPlaceholderText(DEFAULT_API)

        self.save_button = QPushButton("Save", self)
        self.remove_button = QPushButton("Remove", self)
        self.sign_in_button = QPushButton("Sign in with Outreach", self)
        self.sign_out_button = QPushButton("Sign out", self)
        self.cancel_button = QPushButton("Cancel sign-in", self)
        self.check_button = QPushButton("Check this org…", self)
        self.check_button.setToolTip(
            "Read-only checks of the org with this sign-in: scopes, search, phone lookup, "
            "dispositions, tasks, rate limit, clock, TLS (as dialer-app doctor)"
        )
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.sign_in_button.clicked.connect(self._on_sign_in_button_clicked)
        self.sign_out_button.clicked.connect(self._on_sign_out_button_clicked)
        self.cancel_button.clicked.connect(accounts.cancel_sign_in)
        self.message = QLabel(self)
        self.message.setObjectName("accounts-message")
        self.message.setAccessibleName("Account status")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        plain(self.store_label, self.message)

        left = QVBoxLayout()
        left.addWidget(self.list)
        left.addWidget(self.new_button)
        right = QVBoxLayout()
        right.addLayout(form)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.remove_button):
            buttons.addWidget(button)
        right.addLayout(buttons)
        sign = QHBoxLayout()
        for button in (
            self.sign_in_button,
            self.sign_out_button,
            self.cancel_button,
            self.check_button,
        ):
            sign.addWidget(button)
        right.addLayout(sign)
        right.addWidget(self.message)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 2)
        outer = QVBoxLayout(self)
        outer.addWidget(self.store_label)
        outer.addWidget(self.plain_file)
        outer.addLayout(body)

        accounts.profilesChanged.connect(self.refresh)
        accounts.signInWaiting.connect(self._on_accounts_sign_in_waiting)
        accounts.signedIn.connect(self._on_accounts_signed_in)
        accounts.signInFailed.connect(self._on_accounts_sign_in_failed)
        accounts.signedOut.connect(self._on_accounts_signed_out)
        accounts.orgChecked.connect(self._on_accounts_org_checked)
        accounts.orgCheckFailed.connect(self._on_accounts_org_check_failed)
        self.doctor: QDialog | None = None
        self.resize(720, 420)

    # -- showing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.accounts.open(allow_plain_file=self._plain_file_allowed())
        self.store_label.setText(neutralise(self.accounts.store_message))
        self.store_label.setStyleSheet(
            "color: #b3261e; font-weight: bold;" if self.accounts.keychain_missing else ""
        )
        self.plain_file.blockSignals(True)
        self.plain_file.setChecked(self._plain_file_allowed())
        self.plain_file.blockSignals(False)
        self.plain_file.setVisible(self.accounts.keychain_missing)
        keep = self._editing
        self.list.blockSignals(True)
        self.list.clear()
        for profile in store.all():
            marks = []
            if profile.id == store.active_id:
                marks.append("active")
            if store.has_tokens(profile):
                marks.append("signed in")
            if profile.managed:
                marks.append("managed")
            text = one_line(profile.name) + (f" ({', '.join(marks)})" if marks else "")
            item = QListWidgetItem(text, self.list)
            item.setData(Qt.ItemDataRole.UserRole, profile.id)
            if profile.id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if keep is None and self.list.count():
            self.list.setCurrentRow(0)
        else:
            self._load(store.get(keep) if keep else None)
        if store.problems:
            self.message.setText("\n".join(neutralise(p) for p in store.problems))

    def select(self, profile_id: str) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == profile_id:
                self.list.setCurrentItem(item)

    def _load(self, profile: Profile | None) -> None:
        self._editing = profile.id if profile else None
        for error in self.errors.values():
            error.clear_error()
        store = self.accounts.open()
        self.inputs["name"].setText(profile.name if profile else "")
        self.inputs["api_base_url"].setText(profile.api_base_url if profile else DEFAULT_API)
        self.inputs["client_id"].setText(profile.client_id if profile else "")
        self.inputs["redirect_port"].setText(str(profile.redirect_port) if profile else "0")
        self.inputs["client_secret"].clear()
        has_secret = profile is not None and bool(store.client_secret(profile))
        self.inputs["client_secret"].setPlaceholderText(
            "kept — type to replace" if has_secret else "required to sign in"
        )
        managed = profile is not None and profile.managed
        for key in ("name", "api_base_url", "client_id", "redirect_port"):
            self.inputs[key].setReadOnly(managed)
        self.remove_button.setEnabled(profile is not None and not managed)
        self.sign_in_button.setEnabled(profile is not None)
        self.sign_out_button.setEnabled(profile is not None and store.has_tokens(profile))
        self.check_button.setEnabled(profile is not None and store.has_tokens(profile))
        self.cancel_button.setVisible(self.accounts.signing_in)

    # -- the rep's actions ------------------------------------------------------------------

    def _on_list_current_changed(self, item: QListWidgetItem | None, _old: object) -> None:
        profile_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self._load(self.accounts.open().get(profile_id) if profile_id else None)

    def _on_new_button_clicked(self) -> None:
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self._load(None)
        self.inputs["name"].setFocus()

    def _on_plain_file_toggled(self, on: bool) -> None:
        self.plainFileOptIn.emit(on)
        self.refresh()

    def _form_profile(self) -> tuple[Profile | None, str | None]:
        for error in self.errors.values():
            error.clear_error()
        store = self.accounts.open()
        port_text = self.inputs["redirect_port"].text().strip() or "0"
        if not port_text.isdigit():
            self.errors["redirect_port"].show_error("Enter a number: 0, or 1024 to 65535.")
            return None, None
        name = self.inputs["name"].text()
        existing = store.get(self._editing) if self._editing else None
        profile = Profile(
            id=existing.id if existing else store.new_id(name),
            name=name,
            api_base_url=self.inputs["api_base_url"].text(),
            client_id=self.inputs["client_id"].text(),
            redirect_port=int(port_text),
        )
        secret = self.inputs["client_secret"].text()
        if existing is None and not secret.strip():
            self.errors["client_secret"].show_error("Enter the OAuth client secret.")
            return None, None
        return profile, (secret if secret else None)

    def _on_save_button_clicked(self) -> Profile | None:
        profile, secret = self._form_profile()
        if profile is None:
            return None
        existing = self.accounts.open().get(profile.id)
        try:
            if existing is not None and existing.managed:
                if secret is not None:
                    self.accounts.open().secrets.set(existing.secret_key, secret.strip())
                saved = existing
            else:
                saved = self.accounts.save_profile(profile, secret)
        except ProfileError as exc:
            for field, problem in exc.problems.items():
                (self.errors.get(field) or self.errors["name"]).show_error(problem)
            return None
        except SecretStoreError as exc:
            self.errors["client_secret"].show_error(str(exc))
            return None
        self._editing = saved.id
        self.refresh()
        self.select(saved.id)
        self.message.setText(f"Saved {isolate(saved.name)}.")
        return saved

    def _on_remove_button_clicked(self) -> None:
        if self._editing is None:
            return
        self.accounts.remove_profile(self._editing)
        self._editing = None
        self.refresh()

    def _on_sign_in_button_clicked(self) -> None:
        saved = self._on_save_button_clicked()
        if saved is not None:
            self.accounts.sign_in(saved.id)

    def _on_check_button_clicked(self) -> None:
        if self._editing is None:
            return
        profile = self.accounts.open().get(self._editing)
        self.message.setText(f"Checking {profile.name if profile else self._editing}…")
        self.check_button.setEnabled(False)
        self.accounts.check_org(self._editing)

    def _on_sign_out_button_clicked(self) -> None:
        if self._editing is not None:
            self.accounts.sign_out(self._editing)

    # -- what happened ----------------------------------------------------------------------

    def _on_accounts_sign_in_waiting(self, _profile_id: str, _url: str) -> None:
        self.message.setText("Finish signing in in your browser…")
        self.cancel_button.setVisible(True)

    def _on_accounts_signed_in(self, profile_id: str, _tokens: object) -> None:
        profile = self.accounts.open().get(profile_id)
        self.message.setText(f"Signed in to {isolate(profile.name if profile else profile_id)}.")
        self.cancel_button.setVisible(False)

    def _on_accounts_sign_in_failed(self, _profile_id: str, message: str) -> None:
        self.message.setText(neutralise(message))
        self.cancel_button.setVisible(False)

    def _on_accounts_signed_out(self, profile_id: str) -> None:
        self.message.setText("Signed out: the tokens are forgotten.")

    def _on_accounts_org_checked(self, profile_id: str, report: Report) -> None:
        from .doctor_dialog import DoctorDialog

        profile = self.accounts.open().get(profile_id)
        name = profile.name if profile else profile_id
        problems = sum(c.verdict == "problem" for c in report.checks)
        self.message.setText(
            f"Checked {name}: " + (f"{problems} problem(s)." if problems else "all fine.")
        )
        self.check_button.setEnabled(True)
        self.doctor = DoctorDialog(name, report, self)
        self.doctor.show()

    def _on_accounts_org_check_failed(self, _profile_id: str, message: str) -> None:
        self.message.setText(message)
        self.check_button.setEnabled(True)
