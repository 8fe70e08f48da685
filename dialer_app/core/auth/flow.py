"""Sign in with Outreach: the browser consents, a one-shot listener on 127.0.0.1 takes the code.

`SignInFlow.start()` binds the listener (the profile's redirect port, or any free one) and gives
the authorize URL with a random `state`; the caller opens it in the browser. `finish()` waits for
the redirect: a declined consent or a timeout ends the flow, and each time the browser is
answered with a page saying what happened. Anything else that reaches the port — a wrong or
missing `state`, another path, another method — gets a refusal page and changes nothing: any
local program can connect to 127.0.0.1, and must not be able to cancel the rep's sign-in. The
code is then traded for tokens at the org's `/oauth/token`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import secrets
import socket
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ..outreach.errors import SignInError
from .profiles import Profile
from .tokens import APP_SCOPES, TokenSet, request_tokens

log = logging.getLogger(__name__)
CALLBACK_PATH = "/oauth/callback"
SIGN_IN_TIMEOUT = 300.0
MAX_REQUEST = 8192


def _page(title: str, text: str, status: int) -> bytes:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Dialer Companion</title></head>"
        f"<body style='font-family:sans-serif;margin:3em'><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(text)}</p></body></html>"
    ).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class SignInFlow:
    """One sign-in attempt for `profile`: `start()`, open `authorize_url`, `await finish()`."""

    def __init__(
        self,
        profile: Profile,
        client_secret: str,
        *,
        scopes: str = APP_SCOPES,
        timeout: float = SIGN_IN_TIMEOUT,
        now: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.profile = profile
        self._secret = client_secret
        self._scopes = scopes
        self._timeout = timeout
        self._now = now
        self._transport = transport
        self.state = secrets.token_urlsafe(24)
        self.redirect_uri = ""
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[str] | None = None
        self.refused = 0  # requests with a wrong or missing state, answered and ignored

    @property
    def authorize_url(self) -> str:
        query = urlencode(
            {
                "client_id": self.profile.client_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": self._scopes,
                "state": self.state,
            }
        )
        return f"{self.profile.origin}/oauth/authorize?{query}"

    async def start(self) -> str:
        """Listen on 127.0.0.1; the authorize URL to open in the browser."""
        self._result = asyncio.get_running_loop().create_future()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # Bound here, not by host name: no resolver thread for a literal loopback address.
            sock.bind(("127.0.0.1", self.profile.redirect_port))
            sock.listen(8)
            sock.setblocking(False)
            self._server = await asyncio.start_server(self._on_connection, sock=sock)
        except OSError as exc:
            sock.close()
            raise SignInError(
                f"Cannot listen for the sign-in on port {self.profile.redirect_port}: "
                f"{exc.strerror or exc}. Is another sign-in open?"
            ) from None
        port = self._server.sockets[0].getsockname()[1]
        self.redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
        return self.authorize_url

    async def finish(self) -> TokenSet:
        """Wait for the browser to come back, then trade the code for tokens."""
        if self._result is None:
            raise RuntimeError("start() the sign-in first")
        try:
            code = await asyncio.wait_for(asyncio.shield(self._result), self._timeout)
        except TimeoutError:
            raise SignInError(
                f"The sign-in was not finished in the browser within {self._timeout:.0f} s."
            ) from None
        finally:
            await self.close()
        return await request_tokens(
            self.profile,
            self._secret,
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri},
            now=self._now,
            transport=self._transport,
        )

    async def close(self) -> None:
        """Stop listening (idempotent); an unfinished flow ends with "Sign-in cancelled."."""
        if self._result is not None and not self._result.done():
            self._result.set_exception(SignInError("Sign-in cancelled."))
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                return
            writer.write(self._answer(head[:MAX_REQUEST]))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _answer(self, head: bytes) -> bytes:
        """The page for one browser request; settles the flow when it is the redirect."""
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "GET":
            return _page("Not here", "This address only takes Outreach's sign-in.", 404)
        target = urlsplit(parts[1])
        if target.path != CALLBACK_PATH:
            return _page("Not here", "This address only takes Outreach's sign-in.", 404)
        query = parse_qs(target.query)
        state = query.get("state", [""])[0]
        if self._result is None or self._result.done():
            return _page("Already done", "This sign-in has already ended.", 400)
        if not secrets.compare_digest(state.encode(), self.state.encode()):
            self.refused += 1
            log.warning("sign-in redirect refused (state missing or wrong); still waiting")
            return _page(
                "Sign-in refused",
                "This answer does not belong to the sign-in Dialer Companion started, so it "
                "was ignored. If you are signing in, finish in the tab Dialer Companion opened.",
                400,
            )
        error = query.get("error", [""])[0]
        if error:
            message = (
                "You declined the sign-in in Outreach."
                if error == "access_denied"
                else f"Outreach refused the sign-in ({error})."
            )
            self._result.set_exception(SignInError(message))
            return _page("Not signed in", f"{message} You can close this tab.", 200)
        code = query.get("code", [""])[0]
        if not code:
            self._result.set_exception(SignInError("Outreach came back without a code."))
            return _page("Sign-in failed", "Outreach came back without a code.", 400)
        self._result.set_result(code)
        return _page(
            "Signed in",
            f"Dialer Companion is signing in to {self.profile.name}. You can close this tab.",
            200,
        )
