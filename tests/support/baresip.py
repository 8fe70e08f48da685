"""Real Baresip softphones for tests: each a plain child process with its own config directory
on 127.0.0.1, no sound card (an `ausine` source, no player), stopped by its PID.

`BaresipPhone(tmp_dir, user)` → `start()` waits for "baresip is ready."; `ctrl_port` is its
ctrl_tcp port, `sip_port` its SIP port, `aor` its address. `PeerControl(port)` is the test's own
ctrl_tcp client (a thread recording each event with the wall-clock time it arrived), for a peer
the app is not connected to. Skipped with a reason where `baresip` is not installed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from dialer_app.core.softphone.netstring import Decoder, encode

BARESIP = shutil.which("baresip")
MODULE_PATH = Path("/usr/lib/baresip/modules")
READY = b"baresip is ready."

needs_baresip = pytest.mark.skipif(
    BARESIP is None or not (MODULE_PATH / "ctrl_tcp.so").exists(),
    reason="Baresip is not installed (Debian package baresip-core; .ci/bootstrap installs it)",
)


_TAKEN: set[int] = set()


def _free(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(span: int = 1) -> int:
    """A port on 127.0.0.1 free for TCP and UDP, with the `span - 1` ports after it free too
    (Baresip's SIP transport also takes the next port, for TLS). Never the same one twice."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        ports = range(port, port + span)
        if port + span > 65535 or _TAKEN.intersection(ports):
            continue
        if all(_free(p, socket.SOCK_STREAM) and _free(p, socket.SOCK_DGRAM) for p in ports):
            _TAKEN.update(ports)
            return port
    raise RuntimeError("no free port on 127.0.0.1")


class BaresipPhone:
    """One Baresip instance. `domain` is where its account's calls go (another phone's SIP
    address, as a PBX would be); by default its own address."""

    def __init__(self, directory: Path, user: str, *, domain: str | None = None) -> None:
        self.dir = directory
        self.user = user
        self.sip_port = free_port(span=2)
        self.ctrl_port = free_port()
        self.domain = domain or f"127.0.0.1:{self.sip_port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.output = bytearray()
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.sip_port}"

    def write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "config").write_text(
            "\n".join(
                [
                    f"sip_listen 127.0.0.1:{self.sip_port}",
                    "net_interface 127.0.0.1",
                    "audio_source ausine,440",
                    "audio_player none,none",
                    "audio_alert none,none",
                    "ausrc_srate 48000",
                    "ausrc_channels 2",
                    "rtp_timeout 10",
                    f"module_path {MODULE_PATH}",
                    "module g711.so",
                    "module ausine.so",
                    "module_app account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        (self.dir / "accounts").write_text(
            f"<sip:{self.user}@{self.domain}>;regint=0;answermode=manual\n", encoding="utf-8"
        )

    def start(self, timeout: float = 20) -> BaresipPhone:
        assert BARESIP is not None
        self.write_config()
        self._ready.clear()
        self.proc = subprocess.Popen(
            [BARESIP, "-f", str(self.dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._reader = threading.Thread(target=self._drain, args=(self.proc,), daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"Baresip did not start; its output:\n{self.log()}")
        return self

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        """Keep reading its output (a full pipe would block it) and notice when it is ready."""
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(65536):
            self.output += chunk
            if READY in self.output:
                self._ready.set()

    def log(self) -> str:
        return self.output.decode(errors="replace")[-4000:]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if self._reader is not None:
            self._reader.join(10)
        if proc.stdout is not None:
            proc.stdout.close()


class PeerControl:
    """The test's own ctrl_tcp client for a peer phone: sends commands, records events."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.responses: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        decoder = Decoder()
        with contextlib.suppress(OSError):
            while data := self.sock.recv(65536):
                now = time.time()
                if hasattr(socket, "TCP_QUICKACK"):  # else Baresip's next frame waits ~40 ms
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                for frame in decoder.feed(data):
                    message = json.loads(frame)
                    with self._lock:
                        if message.get("event"):
                            self.events.append((now, message))
                        else:
                            self.responses.append(message)

    def send(self, command: str, params: str = "") -> None:
        payload = json.dumps({"command": command, "params": params, "token": command})
        self.sock.sendall(encode(payload.encode()))

    def event_time(self, type_: str) -> float | None:
        """When the first event of this type arrived (epoch seconds), or None."""
        with self._lock:
            return next((t for t, m in self.events if m.get("type") == type_), None)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(5)
