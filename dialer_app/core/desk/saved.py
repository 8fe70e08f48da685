"""The desk as JSON-ready data, and back: every field checked, nothing trusted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..phone import clean_extension
from ..session import CallTimes
from ..terms import Direction
from .calls import FINAL, OVER, DeskCall, DeskDataError, Links, NewWho, Phase, Who, clean_form


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def who_data(who: Who | None) -> dict[str, Any] | None:
    return {"id": who.id, "name": who.name} if who is not None else None


def call_data(c: DeskCall) -> dict[str, Any]:
    links = c.links
    return {
        "id": c.id,
        "phase": c.phase.value,
        "direction": c.direction,
        "prospect": who_data(c.prospect),
        "new_prospect": None
        if c.new_prospect is None
        else {"ref": c.new_prospect.ref, "name": c.new_prospect.name},
        "reassigned": c.reassigned,
        "number": c.number,
        "extension": c.extension,
        "phone_number_id": c.phone_number_id,
        "number_ref": c.number_ref,
        "unknown": c.unknown,
        "softphone_id": c.softphone_id,
        "dialed_at": _iso(c.times.dialed_at),
        "answered_at": _iso(c.times.answered_at),
        "completed_at": _iso(c.times.completed_at),
        "end_unknown": c.end_unknown,
        "reason": c.reason,
        "far_ringing": c.far_ringing,
        "links": None
        if links is None
        else {
            "task_id": links.task_id,
            "sequence_id": links.sequence_id,
            "sequence_state_id": links.sequence_state_id,
            "sequence_step_id": links.sequence_step_id,
        },
        "form": clean_form(c.form),
        "origin": c.origin,
        "candidates": list(c.candidates),
    }


def read_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DeskDataError(f"{key} must be a list")
    return value


def read_dict(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DeskDataError(f"{what} must be an object")
    return value


def read_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise DeskDataError(f"{what} must be true or false")
    return value


def _str(value: object, what: str, limit: int = 256) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise DeskDataError(f"{what} must be text of at most {limit} characters")
    return value


def _int(value: object, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise DeskDataError(f"{what} must be a whole number")
    return value


def _time(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    t = datetime.fromisoformat(_str(value, what, 64))
    if t.tzinfo is None or t.utcoffset() is None:
        raise DeskDataError(f"{what} must carry its time zone")
    return t


def who_from(value: object) -> Who | None:
    if value is None:
        return None
    data = read_dict(value, "prospect")
    pid = _int(data.get("id"), "prospect id")
    if pid is None:
        raise DeskDataError("a prospect needs its id")
    return Who(pid, _str(data.get("name", ""), "prospect name", 1024))


def _ref(value: object, what: str) -> str:
    ref = _str(value, what, 64)
    if ref and not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in ref):
        raise DeskDataError(f"{what} must be letters, digits, '-' or '_'")
    return ref


def new_who_from(value: object) -> NewWho | None:
    if value is None:
        return None
    data = read_dict(value, "new prospect")
    ref = _ref(data.get("ref"), "new prospect ref")
    if not ref:
        raise DeskDataError("a new prospect needs the reference of its operation")
    return NewWho(ref, _str(data.get("name", ""), "new prospect name", 1024))


def call_from(value: object) -> DeskCall:
    d = read_dict(value, "call")
    call_id = _str(d.get("id"), "call id", 63)
    if not call_id:
        raise DeskDataError("a call needs its id")
    phase = Phase(_str(d.get("phase"), "phase"))
    if phase in FINAL:
        raise DeskDataError(f"a {phase.value} call is not kept")
    direction = _str(d.get("direction"), "direction")
    if direction not in ("inbound", "outbound"):
        raise DeskDataError("direction must be inbound or outbound")
    inbound: Direction = "inbound" if direction == "inbound" else "outbound"
    times = CallTimes(
        direction=inbound,
        dialed_at=_time(d.get("dialed_at"), "dialed_at"),
        answered_at=_time(d.get("answered_at"), "answered_at"),
        completed_at=_time(d.get("completed_at"), "completed_at"),
    )
    try:
        times.check_order()
    except ValueError as exc:
        raise DeskDataError(str(exc)) from None
    raw_links = d.get("links")
    links = None
    if raw_links is not None:
        ld = read_dict(raw_links, "links")
        links = Links(
            task_id=_int(ld.get("task_id"), "task_id"),
            sequence_id=_int(ld.get("sequence_id"), "sequence_id"),
            sequence_state_id=_int(ld.get("sequence_state_id"), "sequence_state_id"),
            sequence_step_id=_int(ld.get("sequence_step_id"), "sequence_step_id"),
        )
    candidates = d.get("candidates", [])
    if not isinstance(candidates, list):
        raise DeskDataError("candidates must be a list")
    end_unknown = read_bool(d.get("end_unknown", False), "end_unknown")
    if phase in OVER and times.completed_at is None and not end_unknown:
        end_unknown = True  # an ended call without its end: say so rather than make one up
    prospect = who_from(d.get("prospect"))
    new_prospect = new_who_from(d.get("new_prospect"))
    if prospect is not None and new_prospect is not None:
        raise DeskDataError("a call is with a prospect or with one being created, not both")
    return DeskCall(
        id=call_id,
        direction=inbound,
        phase=phase,
        prospect=prospect,
        new_prospect=new_prospect,
        reassigned=read_bool(d.get("reassigned", False), "reassigned"),
        number=_str(d.get("number", ""), "number", 32),
        extension=clean_extension(_str(d.get("extension", ""), "extension", 32)),
        phone_number_id=_int(d.get("phone_number_id"), "phone_number_id"),
        number_ref=_ref(d.get("number_ref", ""), "number_ref"),
        unknown=read_bool(d.get("unknown", False), "unknown"),
        softphone_id=_str(d.get("softphone_id", ""), "softphone_id", 128),
        times=times,
        end_unknown=end_unknown,
        reason=_str(d.get("reason", ""), "reason", 256),
        far_ringing=read_bool(d.get("far_ringing", False), "far_ringing"),
        links=links,
        form=clean_form(read_dict(d.get("form", {}), "form")),
        origin=_str(d.get("origin", ""), "origin", 512),
        candidates=tuple(i for i in (_int(x, "candidate") for x in candidates) if i is not None),
    )
