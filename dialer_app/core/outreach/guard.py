"""The choke point's guards: every answer is bounded before anything trusts it.

- `Limits`: a deadline for a whole exchange (connect, send, the last byte of the body: a body
  dripped a byte a second ends at the deadline), a cap on the body *decompressed*, a depth limit
  for its JSON, a number of pages a list may have.
- `GuardedTransport` wraps the real transport: it asks for `gzip, deflate` only, decodes the body
  itself in bounded steps and counts what comes out, so a 300 KiB gzip bomb stops at the cap
  (`ResponseTooLarge`) instead of growing the process by a gigabyte. An encoding the app did not
  ask for (`br`, `zstd`, anything unknown) is refused. It sits under httpx's own handling, so
  the answers httpx reads by itself (a 401 before its replay) are bounded too.
- `parse_json` refuses what is not strict JSON (NaN, Infinity), what is nested deeper than the
  limit (never a `RecursionError`), and what is not UTF-8.
- `network_transport` is the real network; every one shares `tls_context()`, made once.
"""

from __future__ import annotations

import functools
import json
import ssl
import urllib.request
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from . import errors as e

ACCEPT_ENCODING = "gzip, deflate"
STEP = 64 * 1024  # most bytes one decompression step may produce


@dataclass(frozen=True, slots=True)
class Limits:
    """What the client accepts from a server, at most."""

    deadline: float = 10.0  # seconds for one whole exchange, body included
    max_body: int = 8 * 1024 * 1024  # bytes of body, after decompression
    max_depth: int = 64  # nesting of JSON objects and arrays
    max_pages: int = 50  # pages of one list followed through `links.next`


class _Inflater:
    """One content coding, decoded in steps of at most `STEP` bytes out."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._raw_fallback = coding == "deflate"  # many servers send raw deflate, no zlib header
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while pending and not self._z.eof:  # bytes after the end of the stream are ignored
            try:
                out = self._z.decompress(pending, STEP)
            except zlib.error:
                if self._started or not self._raw_fallback:
                    raise e.MalformedResponse("Outreach's compressed answer is damaged.") from None
                self._raw_fallback = False
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._started = True
            yield out
            pending = self._z.unconsumed_tail

    def flush(self) -> bytes:
        """What the decoder still holds once the body has ended (a few bytes at most: every
        step has already drained its input)."""
        return self._z.flush()


def _codings(headers: httpx.Headers) -> list[str]:
    """The content codings applied, in the order they were applied."""
    out = []
    for value in headers.get_list("content-encoding", split_commas=True):
        name = value.strip().lower()
        if name in ("", "identity"):
            continue
        if name == "x-gzip":
            name = "gzip"
        if name not in ("gzip", "deflate"):
            raise e.MalformedResponse(
                f"Outreach answered in an encoding the app did not ask for ({name[:40]})."
            )
        out.append(name)
    if len(out) > 2:
        raise e.MalformedResponse("Outreach answered with a body compressed over and over.")
    return out


class _BoundedBody(httpx.AsyncByteStream):
    """The body as it arrives, decoded through `codings`, stopped at `cap` bytes out."""

    def __init__(self, inner: httpx.AsyncByteStream, codings: list[str], cap: int) -> None:
        self._inner = inner
        self._decoders = [_Inflater(c) for c in reversed(codings)]
        self._cap = cap
        self._total = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for data, level in self._inputs():
            for piece in self._through(data, level):
                yield self._counted(piece)

    async def _inputs(self) -> AsyncIterator[tuple[bytes, int]]:
        """The body's chunks, then what each decoder still holds, with where they enter."""
        async for chunk in self._inner:
            yield chunk, 0
        for i, decoder in enumerate(self._decoders):
            yield decoder.flush(), i + 1

    def _through(self, data: bytes, i: int) -> Iterator[bytes]:
        if i == len(self._decoders):
            if data:
                yield data
            return
        for piece in self._decoders[i].feed(data):
            yield from self._through(piece, i + 1)

    def _counted(self, piece: bytes) -> bytes:
        self._total += len(piece)
        if self._total > self._cap:
            raise e.ResponseTooLarge(
                f"Outreach's answer is larger than {self._cap // (1024 * 1024)} MiB; not read."
            )
        return piece

    async def aclose(self) -> None:
        await self._inner.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport so that every answer's body is decoded here, bounded."""

    def __init__(self, inner: httpx.AsyncBaseTransport, max_body: int) -> None:
        self._inner = inner
        self._max_body = max_body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        response = await self._inner.handle_async_request(request)
        try:
            codings = _codings(response.headers)
        except e.OutreachError:
            await response.aclose()
            raise
        stream = response.stream
        if not isinstance(stream, httpx.AsyncByteStream):  # a sync-only stream: not from here
            response.close()
            raise e.MalformedResponse("The answer's body cannot be read asynchronously.")
        dropped = (b"content-encoding", b"content-length") if codings else ()
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in dropped]
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_BoundedBody(stream, codings, self._max_body),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """How every connection checks a server's certificate: httpx's default (the system's CA
    certificates, verified host names), made once. Made again for each transport, it read the
    CA certificates for every new client and every sign-in (40 ms of CPU each)."""
    return httpx.create_ssl_context()


def network_transport(url: httpx.URL) -> httpx.AsyncBaseTransport:
    """The real network, through the proxy the environment names for `url` (if any), as httpx
    would choose it itself without a transport given."""
    proxy: str | None = None
    try:
        if not urllib.request.proxy_bypass(url.host):
            proxies = urllib.request.getproxies()
            proxy = proxies.get(url.scheme) or proxies.get("all")
    except Exception:  # a broken proxy setting: go direct, as a browser would
        proxy = None
    return httpx.AsyncHTTPTransport(proxy=proxy, verify=tls_context())


def parse_json(raw: bytes, max_depth: int) -> Any:
    """Strict JSON of at most `max_depth` levels; `MalformedResponse` for anything else."""
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError:  # not JSON, not UTF-8, NaN/Infinity, an integer too long to read
        raise e.MalformedResponse("Outreach answered with a body that is not JSON.") from None
    if _deeper_than(value, max_depth):
        raise _too_deep(max_depth)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(limit: int) -> e.MalformedResponse:
    return e.MalformedResponse(f"Outreach answered with JSON nested deeper than {limit} levels.")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays in `value` (as `json.loads` makes them: plain dicts and
    lists) nest deeper than `limit`: level by level, without recursion."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 1
    while level:
        if depth > limit:
            return True
        inner: list[Any] = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    inner.append(child)
        level = inner
        depth += 1
    return False
