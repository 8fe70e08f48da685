"""AccountService: org profiles, the keychain, and signing in and out, for the window.

The secret store is opened lazily (`open()`): keyring's first use costs ~0.2 s, so the app
opens it after the window is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core.auth.flow import SignInFlow
from ..core.auth.profiles import Profile, ProfileError, ProfileStore
from ..core.auth.secrets import KeyringStore, Kind, OpenedStore, open_secret_store
from ..core.auth.tokens import MINT_INTERVAL, TokenSet
from ..core.outreach import OutreachError
from .tasks import TaskRunner

log = logging.getLogger(__name__)


class AccountService(QObject):
    """Profiles and sign-in, run in the background through the TaskRunner.

    Signals:
        storeOpened(str): where secrets are kept, as a sentence for the rep.
        profilesChanged(): a profile was added, changed, removed or made active.
        signInWaiting(str, str): profile id and the authorize URL opened in the browser.
        signedIn(str, object): profile id and its new `TokenSet` (already saved).
        signInFailed(str, str): profile id and what went wrong.
        signedOut(str): profile id whose tokens were forgotten.
        orgChecked(str, object): profile id and the doctor's `Report` of its org (read-only).
        orgCheckFailed(str, str): profile id and why its org could not be checked.
    """

    storeOpened = Signal(str)
    profilesChanged = Signal()
    signInWaiting = Signal(str, str)
    signedIn = Signal(str, object)
    signInFailed = Signal(str, str)
    signedOut = Signal(str)
    orgChecked = Signal(str, object)
    orgCheckFailed = Signal(str, str)

    def __init__(
        self,
        runner: TaskRunner,
        profiles_file: Path,
        admin_file: Path | None,
        fallback_file: Path,
        *,
        open_browser: Callable[[str], bool],
        keychain: KeyringStore | None = None,
        sign_in_timeout: float = 300.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._profiles_file = profiles_file
        self._admin_file = admin_file
        self._fallback_file = fallback_file
        self._open_browser = open_browser
        self._keychain = keychain
        self._timeout = sign_in_timeout
        self.opened: OpenedStore | None = None
        self.profiles: ProfileStore | None = None
        self._flow: SignInFlow | None = None
        self.mint_interval = MINT_INTERVAL  # for the token sources of signed-in profiles

    # -- the store --------------------------------------------------------------------------

    def open(self, *, allow_plain_file: bool = False) -> ProfileStore:
        """Probe the keychain and load the profiles (once; again after the opt-in changes)."""
        if self.profiles is None or (
            allow_plain_file and self.opened is not None and self.opened.kind is Kind.MEMORY_ONLY
        ):
            self.opened = open_secret_store(
                self._fallback_file, allow_plain_file=allow_plain_file, keychain=self._keychain
            )
            self.profiles = ProfileStore(self._profiles_file, self._admin_file, self.opened.store)
            self.storeOpened.emit(self.opened.message)
            self.profilesChanged.emit()
        return self.profiles

    @property
    def store_message(self) -> str:
        return self.opened.message if self.opened else ""

    @property
    def keychain_missing(self) -> bool:
        return self.opened is not None and self.opened.kind is not Kind.KEYCHAIN

    # -- profiles ---------------------------------------------------------------------------

    def save_profile(self, profile: Profile, client_secret: str | None) -> Profile:
        """Add or change a profile; `ProfileError.problems` name the bad fields."""
        saved = self.open().save(profile, client_secret)
        self.profilesChanged.emit()
        return saved

    def remove_profile(self, profile_id: str) -> None:
        self.open().remove(profile_id)
        self.profilesChanged.emit()

    def set_active(self, profile_id: str | None) -> None:
        self.open().set_active(profile_id)
        self.profilesChanged.emit()

    # -- signing in and out -----------------------------------------------------------------

    def sign_in(self, profile_id: str) -> None:
        """Open the browser at the org's consent page and wait for it to come back."""
        store = self.open()
        profile = store.get(profile_id)
        if profile is None:
            self.signInFailed.emit(profile_id, "Save the profile first.")
            return
        secret = store.client_secret(profile)
        if not secret:
            self.signInFailed.emit(
                profile_id, "Enter the client secret of this profile, save, then sign in."
            )
            return
        self._runner.run(
            self._sign_in(profile, secret),
            key="sign-in",
            on_success=lambda tokens: self._on_signed_in(profile, tokens),
            on_error=lambda exc: self.signInFailed.emit(profile.id, _message(exc)),
        )

    def cancel_sign_in(self) -> None:
        """Stop waiting for the browser: signInFailed says "Sign-in cancelled."."""
        if self._flow is not None:
            self._runner.run(self._flow.close())

    @property
    def signing_in(self) -> bool:
        return self._flow is not None

    def sign_out(self, profile_id: str) -> None:
        """Forget the profile's tokens (its settings and client secret stay)."""
        store = self.open()
        profile = store.get(profile_id)
        if profile is not None:
            store.forget_tokens(profile)
        self.signedOut.emit(profile_id)
        self.profilesChanged.emit()

    def check_org(self, profile_id: str) -> None:
        """Run the doctor's read-only checks against the profile's org with its sign-in (the
        token is not refreshed); emits orgChecked or orgCheckFailed."""
        from ..core.doctor import run_doctor

        store = self.open()
        profile = store.get(profile_id)
        saved = store.secrets.get(profile.tokens_key) if profile is not None else None
        tokens = TokenSet.loads(saved) if saved else None
        if profile is None or tokens is None:
            self.orgCheckFailed.emit(profile_id, "Sign in first: the checks use the sign-in.")
            return
        self._runner.run(
            run_doctor(
                profile.api_base_url,
                tokens.access_token,
                expires_at=tokens.expires_at,
                granted_scope=tokens.scope,
            ),
            key=f"check-{profile_id}",
            on_success=lambda report: self.orgChecked.emit(profile_id, report),
            on_error=lambda exc: self.orgCheckFailed.emit(profile_id, _message(exc)),
        )

    async def _sign_in(self, profile: Profile, secret: str) -> TokenSet:
        if self._flow is not None:
            await self._flow.close()
        flow = self._flow = SignInFlow(profile, secret, timeout=self._timeout)
        try:
            url = await flow.start()
            self.signInWaiting.emit(profile.id, url)
            if not self._open_browser(url):
                log.warning("no browser opened the sign-in page")
            return await flow.finish()
        finally:
            await flow.close()
            if self._flow is flow:
                self._flow = None

    def _on_signed_in(self, profile: Profile, tokens: TokenSet) -> None:
        store = self.open()
        try:
            store.secrets.set(profile.tokens_key, tokens.dumps())
        except Exception as exc:  # the sign-in still holds for this run
            log.warning("the sign-in could not be saved: %s", type(exc).__name__)
        if store.active_id != profile.id:
            store.set_active(profile.id)
        self.signedIn.emit(profile.id, tokens)
        self.profilesChanged.emit()


def _message(exc: BaseException) -> str:
    if isinstance(exc, OutreachError | ProfileError):
        return getattr(exc, "message", None) or str(exc)
    return str(exc) or type(exc).__name__
