"""Connection: where the app talks to (a real org or the demo sandbox), its client, its sign-in.

It owns the backend (and the demo sandbox it may start), the one `OutreachClient` of a session
and the user it is signed in as; it says how the sign-in stands as time passes. The lookup and
the logbook ask it for the client, and start their work when it says `connected`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.auth.tokens import OAuthToken, TokenSet
from ..core.demo import SandboxProcess
from ..core.outreach import OutreachClient, OutreachError
from ..core.outreach import errors as e
from ..core.outreach.client import StaticToken, TokenSource
from ..core.outreach.models import User
from .tasks import TaskRunner

log = logging.getLogger(__name__)
HEALTH_INTERVAL_MS = 60_000


@dataclass
class Backend:
    """Where the app talks to: a real org, or the demo sandbox it started itself."""

    base_url: str
    token: str
    demo: bool
    label: str
    sandbox: SandboxProcess | None = None
    token_source: TokenSource | None = None  # a signed-in profile; else the static `token`

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


BackendFactory = Callable[[], Awaitable[Backend]]


async def start_demo_backend(sandbox: SandboxProcess) -> Backend:
    """Start the demo sandbox without blocking the window; resolve once it answers."""
    sandbox.start()
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if ready.done():
            return
        if error is not None:
            ready.set_exception(error)
        else:
            ready.set_result(result or "")

    def wait_for_ready_line() -> None:  # a plain thread: the pipe read blocks
        try:
            url = sandbox.read_ready()
        except Exception as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, url, None)

    threading.Thread(target=wait_for_ready_line, name="sandbox-ready", daemon=True).start()
    try:
        base_url = await asyncio.wait_for(ready, 60)
    except BaseException:
        sandbox.stop()
        raise
    return Backend(base_url, sandbox.token, demo=True, label="Demo", sandbox=sandbox)


class Connection(QObject):
    """The backend, the client and the sign-in of one session.

    Signals:
        connecting(str): what is being connected to.
        connected(object, str): the signed-in `User` and the backend label ("Demo" or the org).
        connectionFailed(str): could not reach or sign in to Outreach; the text says what to do.
        tokenChanged(str): how the sign-in stands ("token valid 118 min", "Sign in again").
        signInRequired(str): the sign-in is gone; writes wait until the rep signs in.
        signedIn(): the rep signed in again to this backend's profile (writes may go again).
    """

    connecting = Signal(str)
    connected = Signal(object, str)
    connectionFailed = Signal(str)
    tokenChanged = Signal(str)
    signInRequired = Signal(str)
    signedIn = Signal()

    def __init__(
        self, runner: TaskRunner, backend_factory: BackendFactory, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._backend_factory = backend_factory
        self.backend: Backend | None = None
        self.client: OutreachClient | None = None
        self.user: User | None = None
        self._health_timer = QTimer(self)  # "token valid N min" stays true as time passes
        self._health_timer.setInterval(HEALTH_INTERVAL_MS)
        self._health_timer.timeout.connect(self._emit_health)

    # -- commands ---------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (start the demo sandbox first when that is the backend); `connected`."""
        self._runner.run(self._connect(), key="connect", on_error=self._on_connect_error)

    def signed_in(self, tokens: TokenSet) -> None:
        """The rep signed in again to this backend's profile: use the tokens from now on."""
        oauth = self.oauth
        if oauth is None:
            return
        oauth.replace(tokens)
        self.signedIn.emit()
        if self.user is None:
            self.start()

    def require_client(self) -> OutreachClient:
        if self.client is None:
            raise OutreachError("Not connected to Outreach yet.")
        return self.client

    async def aclose(self) -> None:
        """Stop: the connection attempt, the client, the demo sandbox."""
        self._health_timer.stop()
        await self._runner.close()
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    # -- state ------------------------------------------------------------------------------

    @property
    def oauth(self) -> OAuthToken | None:
        """The signed-in profile's token source, when the app runs against one."""
        source = self.backend.token_source if self.backend else None
        return source if isinstance(source, OAuthToken) else None

    # -- background work --------------------------------------------------------------------

    async def _connect(self) -> None:
        self.connecting.emit("Connecting to Outreach…")
        if self.backend is None:
            self.backend = await self._backend_factory()
            if (oauth := self.oauth) is not None:
                oauth.on_change = self._on_token_change
                self._health_timer.start()
        if self.client is None:
            source = self.backend.token_source or StaticToken(self.backend.token)
            self.client = OutreachClient(self.backend.base_url, source)
        self.user = await self.client.current_user()
        self.connected.emit(self.user, self.backend.label)
        self._on_token_change()

    def _on_connect_error(self, exc: BaseException) -> None:
        log.warning("connecting failed: %s", exc)
        self.connectionFailed.emit(message(exc))
        if isinstance(exc, e.SignInRequired):
            self.signInRequired.emit(message(exc))

    def _emit_health(self) -> None:
        if (oauth := self.oauth) is not None:
            self.tokenChanged.emit(oauth.health())

    def _on_token_change(self) -> None:
        oauth = self.oauth
        if oauth is None:
            return
        self.tokenChanged.emit(oauth.health())
        if oauth.tokens is None:
            self.signInRequired.emit(f"Sign in to {oauth.profile.name} again.")


def message(exc: BaseException) -> str:
    """What went wrong, for the rep."""
    if isinstance(exc, OutreachError):
        return exc.message
    return str(exc) or type(exc).__name__
