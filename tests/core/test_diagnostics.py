"""The diagnostics bundle: useful to a helpdesk, and holding no token, secret, note or number.

A session is seeded with generated tokens, a client secret, a note and full phone numbers in
every place they can be — the outbox (calls, errors), the draft, the logs and their rotated
generations, the demo sandbox's log, the settings, the profiles, the plain-file secret store and
the environment — then the bundle is built, written and every file in the zip searched.
"""

from __future__ import annotations

import json
import re
import string
import zipfile
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core import diagnostics
from dialer_app.core.auth.tokens import TokenSet
from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.jsonapi import FieldError
from dialer_app.core.outbox import Outbox

TOKEN_CHARS = string.ascii_letters + string.digits + "-_.~"
AREA_CODES = ("212", "312", "415", "617", "206", "512", "303", "404")


@dataclass(frozen=True)
class Seed:
    access_token: str
    refresh_token: str
    automation_token: str
    client_secret: str
    note: str
    prospect: str
    numbers: tuple[phonenumbers.PhoneNumber, ...]

    def secrets(self) -> list[str]:
        return [self.access_token, self.refresh_token, self.automation_token, self.client_secret]

    def number_forms(self) -> list[str]:
        """Each number as E.164, as the region writes it, and as bare digits."""
        forms = []
        for n in self.numbers:
            e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
            national = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
            digits = str(n.national_number)
            forms += [e164, national, digits, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"]
        return forms


def _us_number(area: str, exchange: int, line: int) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(f"+1{area}{exchange:03d}{line:04d}")


_numbers = st.builds(
    _us_number,
    st.sampled_from(AREA_CODES),
    st.integers(200, 999),
    st.integers(0, 9999),
).filter(phonenumbers.is_valid_number)
_token = st.text(TOKEN_CHARS, min_size=20, max_size=60)
# A note's words start with "zq", which nothing the bundle says of itself holds: a line of
# the note can then be found only where the note leaked (a generated "profiles" was found in
# the manifest's own file names, and masked the profiles file's own key).
_word = st.text(string.ascii_letters + "éüß", min_size=1, max_size=8).map(lambda w: "zq" + w)
_note = st.lists(_word, min_size=3, max_size=10).flatmap(
    lambda words: st.sampled_from([" ", "\n"]).map(lambda sep: sep.join(words))
)
_seeds = st.builds(
    Seed,
    _token,
    _token,
    _token,
    _token,
    _note,
    st.lists(_word, min_size=2, max_size=2).map(" ".join),
    st.lists(_numbers, min_size=2, max_size=3).map(tuple),
)


def _folders(root: Path) -> dict[str, Path]:
    folders = {name: root / name for name in ("data", "config", "logs")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def _seed_session(root: Path, seed: Seed) -> dict[str, Path]:
    folders = _folders(root)
    data, config, logs = folders["data"], folders["config"], folders["logs"]
    first, second, *_ = seed.numbers
    e164 = phonenumbers.format_number(first, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(second, phonenumbers.PhoneNumberFormat.NATIONAL)

    # The outbox: a call waiting after an error, one refused with field errors, one sent.
    for name in ("outbox-demo.sqlite3", "outbox-0123456789ab.sqlite3"):
        outbox = Outbox(data / name)
        calls = [
            outbox.enqueue(
                NewCall(
                    attributes=CallAttributes(
                        note=seed.note,
                        to=e164,
                        recordingUrl=f"https://rec.example/{seed.access_token}",
                        vendorCallId=f"{name}-{n}",
                    ),
                    relationships=CallRelationships.link(prospect=7 + n),
                ),
                summary=seed.prospect,
            )
            for n in range(3)
        ]
        outbox.mark_retry(
            calls[0].id,
            delay=30,
            error=f"503 from Outreach while sending {e164} with Bearer {seed.access_token}",
        )
        outbox.mark_attention(
            calls[1].id,
            f"Outreach refused the call with {seed.prospect}: {seed.note}",
            [
                FieldError("/data/attributes/note", "note", f"is invalid: {seed.note}"),
                FieldError("/data/attributes/to", "to", national),
            ],
        )
        outbox.mark_sent(calls[2].id, 4242)
        outbox.close()
    (data / "outbox-demo.draft.json").write_text(
        json.dumps(
            {
                "version": 1,
                "draft": {
                    "prospect_name": seed.prospect,
                    "form": {"note": seed.note + " (draft)", "recording_url": ""},
                },
            }
        )
    )
    # The logs, current and rotated, and the demo sandbox's.
    lines = [
        "2026-11-29 21:02:53,879 4242 INFO dialer_app.app: Dialer Companion 0.1.0 starting",
        f"2026-11-29 21:03:00,001 4242 INFO dialer_app.services: looking up {national}",
        f"2026-11-29 21:03:00,002 4242 WARNING dialer_app.core.sync: retry: {seed.note}",
        f"2026-11-29 21:03:00,003 4242 INFO x: refreshed, now {seed.access_token}",
        f"2026-11-29 21:03:00,004 4242 INFO x: refresh {seed.refresh_token} for {e164}",
        f"2026-11-29 21:03:00,005 4242 INFO x: client secret {seed.client_secret} sent",
        f"2026-11-29 21:03:00,006 4242 INFO x: automation {seed.automation_token}",
        f"2026-11-29 21:03:00,007 4242 INFO x: dialled {second.national_number!s}",
    ]
    (logs / "dialer-app.log").write_text("\n".join(lines) + "\n")
    (logs / "dialer-app.log.1").write_text("\n".join(reversed(lines)) + "\n")
    (logs / "demo-sandbox.log").write_text(f"GET /api/v2/prospects?filter[number]={e164}\n")
    # Settings with a stray secret and note; profiles with a secret where none belongs.
    (config / "settings.json").write_text(
        json.dumps(
            {
                "region": "US",
                "baresip": "127.0.0.1:4444",
                "api_token": seed.access_token,
                "last_note": seed.note,
                "last_number": e164,
            }
        )
    )
    (config / "profiles.json").write_text(
        json.dumps(
            {
                "active": "acme",
                "profiles": [
                    {
                        "id": "acme",
                        "name": "Acme Inc.",
                        "api_base_url": "https://api.outreach.io/api/v2",
                        "client_id": "acme-client",
                        "client_secret": seed.client_secret,
                        "redirect_port": 51789,
                    }
                ],
            }
        )
    )
    tokens = TokenSet(seed.access_token, seed.refresh_token, 0.0, 0.0, "calls.write")
    (config / diagnostics.PLAIN_FILE_SECRETS).write_text(
        json.dumps(
            {
                "profile/acme/client-secret": seed.client_secret,
                "profile/acme/tokens": tokens.dumps(),
            }
        )
    )
    return folders


def _zip_texts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name).decode("utf-8") for name in z.namelist()}


def _leaks(texts: dict[str, str], seed: Seed) -> list[tuple[str, str]]:
    private = [
        *seed.secrets(),
        seed.note,
        *(line for line in seed.note.splitlines() if len(line) >= 8),
        *seed.number_forms(),
    ]
    found = []
    for name, text in texts.items():
        for value in private:
            pattern = rf"(?<!\d){re.escape(value)}(?!\d)" if value.isdigit() else re.escape(value)
            if re.search(pattern, text):
                found.append((name, value))
    return found


EXAMPLE = Seed(
    access_token="sbx_at_not-this-one",  # replaced below: a token with no telling prefix
    refresh_token="rt.Q2hhbmdlIG1lIGxhdGVy",
    automation_token="automation-7f3a9c1e5b",
    client_secret="cs-9d8e7f6a5b4c3d2e1f",
    note="Asked for pricing\nCall back Tuesday about the Rhône contract",
    prospect="Zoë Kowalski",
    numbers=(_us_number("415", 555, 123), _us_number("212", 736, 4242)),
)


def test_the_bundle_of_a_seeded_session_holds_no_token_secret_note_or_number(
    tmp_path: Path,
) -> None:
    seed = Seed(**{**EXAMPLE.__dict__, "access_token": "eyJhbGciOi.Zm9vYmFy.c2lnbmF0dXJl"})
    _check_bundle(tmp_path, seed)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=_seeds)
def test_the_bundle_holds_no_generated_token_secret_note_or_number(
    seed: Seed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _check_bundle(tmp_path_factory.mktemp("session"), seed)


def _check_bundle(root: Path, seed: Seed) -> None:
    folders = _seed_session(root, seed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(diagnostics.TOKEN_ENV, seed.automation_token)
        bundle = diagnostics.collect(
            data_dir=folders["data"],
            config_dir=folders["config"],
            log_dir=folders["logs"],
            qt={"Qt platform": "offscreen"},
        )
        path = bundle.write(root / "out" / "diagnostics.zip")
    texts = _zip_texts(path)
    assert _leaks(texts, seed) == []
    assert path.stat().st_mode & 0o777 == 0o600

    # … and it still says what a helpdesk needs.
    assert set(texts) == {
        "about.txt",
        "settings.json",
        "profiles.json",
        "outbox.json",
        "logs/dialer-app.log",
        "logs/demo-sandbox.log",
        "manifest.txt",
    }
    assert texts["manifest.txt"].strip() == bundle.listing()
    assert "Qt platform: offscreen" in texts["about.txt"]
    assert "automation token set: yes" in texts["about.txt"]
    settings_ = json.loads(texts["settings.json"])
    assert settings_["baresip"] == "127.0.0.1:4444"
    assert set(settings_) == {
        "dial_scheme",
        "region",
        "call_hours_start",
        "call_hours_end",
        "baresip",
        "plain_file_secrets",
        "complete_call_task",
        "daily_call_goal",
        "confirm_outside_hours",
        "global_shortcuts",
    }
    (profile,) = json.loads(texts["profiles.json"])["profiles"]
    assert profile == {
        "id": "acme",
        "name": "Acme Inc.",
        "api_base_url": "https://api.outreach.io/api/v2",
        "managed": False,
        "active": True,
    }
    outbox = json.loads(texts["outbox.json"])
    assert set(outbox) == {"outbox-demo.sqlite3", "outbox-0123456789ab.sqlite3"}
    demo = outbox["outbox-demo.sqlite3"]
    assert demo["counts"] == {"waiting": 1, "sending": 0, "sent": 1, "attention": 1}
    assert demo["today"] == demo["counts"]
    assert [e["status"] for e in demo["last_errors"]] == ["attention", "waiting"]
    assert demo["last_errors"][1]["error"].startswith("503 from Outreach while sending ")
    assert demo["last_errors"][0]["fields"][0]["field"] == "note"
    log = texts["logs/dialer-app.log"]
    assert log.count("\n") == 16  # both generations, oldest first
    assert "Dialer Companion 0.1.0 starting" in log
    assert "[hidden]" in log


def test_the_log_tail_reads_across_generations_newest_last(tmp_path: Path) -> None:
    (tmp_path / "dialer-app.log").write_text("c\nd\n")
    (tmp_path / "dialer-app.log.1").write_text("a\nb\n")
    files = [tmp_path / "dialer-app.log", tmp_path / "dialer-app.log.1"]
    assert diagnostics.tail(files, 3) == "b\nc\nd\n"
    assert diagnostics.tail(files, 10) == "a\nb\nc\nd\n"
    assert diagnostics.tail([tmp_path / "missing.log"], 10) == ""


def test_a_damaged_outbox_is_reported_and_the_rest_still_bundled(tmp_path: Path) -> None:
    folders = _folders(tmp_path)
    (folders["data"] / "outbox-demo.sqlite3").write_bytes(b"not a database" * 100)
    (folders["config"] / "profiles.json").write_text("{broken")
    bundle = diagnostics.collect(
        data_dir=folders["data"], config_dir=folders["config"], log_dir=folders["logs"]
    )
    texts = {i.name: i.text for i in bundle.items}
    assert "error" in json.loads(texts["outbox.json"])["outbox-demo.sqlite3"]
    assert "could not read: outbox-demo.sqlite3" in texts["about.txt"]
    assert json.loads(texts["settings.json"])["region"] == "US"


def test_the_scrubber_masks_numbers_written_any_way_the_region_writes_them() -> None:
    scrub = diagnostics.Scrubber(region="US")
    out = scrub("call (415) 555-0123, 415.555.0199 or +44 20 7946 0958 at 2026-11-29 21:03:00")
    assert "555-0123" not in out
    assert "555.0199" not in out
    assert "7946 0958" not in out
    assert "2026-11-29 21:03:00" in out  # times stay readable
