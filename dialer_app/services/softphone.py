"""BaresipBridge: keeps the Baresip adapter running on the app's loop and reports on the UI side."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core.phone import PhoneNumberError, to_e164
from ..core.softphone.baresip import BaresipClient, BaresipError, Endpoint
from ..core.softphone.events import CallEvent
from ..core.uri import UriError, parse_uri
from .tasks import TaskRunner

log = logging.getLogger(__name__)


class BaresipBridge(QObject):
    """Follows one Baresip instance's calls and dials through it.

    Signals:
        callEvent(object): a `CallEvent` from Baresip.
        connectionChanged(bool, str): linked to Baresip or not, and a line for the status bar.
        dialFailed(str): Baresip could not place a call; the text says why.
    """

    callEvent = Signal(object)
    connectionChanged = Signal(bool, str)
    dialFailed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        endpoint: Endpoint,
        *,
        region: str = "US",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._region = region
        self.received_at: float | None = None  # monotonic time of the last event's frame
        self.client = BaresipClient(
            endpoint,
            self._on_client_event,
            on_connection=self._on_client_connection,
            region=region,
        )

    def start(self) -> None:
        self._runner.run(self.client.run(), key="baresip")

    async def aclose(self) -> None:
        """Stop following Baresip (and any exchange still running)."""
        await self._runner.close()

    def run(self, command: Coroutine[Any, Any, str]) -> asyncio.Future[str]:
        """Run one more exchange with Baresip (e.g. `client.hang_up()`) on the app's runner."""
        return self._runner.run(command, on_error=self._on_dial_error)

    def dial(self, target: str) -> None:
        """Place a call: a sip:/sips: address as is, or a number from a tel:/callto: link."""
        if target.startswith(("sip:", "sips:")) and "@" not in target:
            target = target.partition(":")[2]  # a bare number: Baresip adds its account's domain
        if target.startswith(("tel:", "callto:")):
            try:
                target = parse_uri(target, region=self._region).number
            except UriError as exc:
                self.dialFailed.emit(str(exc))
                return
        elif not target.startswith(("sip:", "sips:")):
            try:
                target = to_e164(target, self._region)
            except PhoneNumberError as exc:
                self.dialFailed.emit(str(exc))
                return
        self._runner.run(
            self.client.dial(target),
            key="baresip-dial",
            on_error=self._on_dial_error,
        )

    def hand_off(self, uri: str) -> bool:
        """The window's click-to-dial: through Baresip when linked, else not handled."""
        if not self.client.connected:
            return False
        self.dial(uri)
        return True

    def _on_dial_error(self, exc: BaseException) -> None:
        self.dialFailed.emit(str(exc) if isinstance(exc, BaresipError) else repr(exc))

    def _on_client_event(self, event: CallEvent, received: float) -> None:
        self.received_at = received
        self.callEvent.emit(event)

    def _on_client_connection(self, up: bool) -> None:
        where = str(self.client.endpoint)
        self.connectionChanged.emit(
            up, f"Baresip at {where}" if up else f"Baresip at {where} not reachable"
        )
