"""The call desk: every call the phone has seen, each on its own, until it is logged or discarded.

Inputs are what the softphone reports (`softphone`), what the rep does (`dial`, `answer`,
`hang_up`, `open_prospect`, `discard`, `reassign`, `assign`, `create_prospect`, `switch`…),
what lookups answer (`number_found`, `prospect_loaded`) and what the outbox's writes became
(`prospect_created`, `number_added`, `creation_refused`, `number_refused`). Each returns a
`Reply`: what to tell the rep, and what the window must do (look a number up, load a card, hand
a link to the softphone). What to show is read off the desk (`phone_call`, `current`,
`open_calls`, `waiting`…). No Qt, no I/O; the clock is injected.

Each call goes

    ringing ──▶ live ──▶ ended ──▶ wrapping ──▶ queued
       └────────────────────┘          └─────▶ discarded  (undone within UNDO_SECONDS)

`ringing` is any call not answered yet (dialling out, or ringing in); `ended` is a call that
waits for its wrap-up; `wrapping` one the rep has had in the wrap-up form. An ended call can
always be discarded, and logged once it has a prospect (assigning one is always possible). A
call restored after a crash while ringing or live comes back ended, at an unknown time.

A call keeps its prospect: the one it was dialled with, or the one its number (or the rep,
during the call) identified. Opening another prospect never moves a call; `reassign` and
`assign` do, and only when asked. A call whose prospect the outbox is creating (`create_prospect`)
is with that new prospect: it can be logged at once (the outbox sends it once the prospect has
its id, `DeskCall.needs`), and takes the id when Outreach has created it.

Timestamps: a call's first event reads the wall clock once; its later ones are that anchor plus
monotonic time, so a wall-clock jump mid-call can neither reorder nor stretch the call.
"""

from .calls import (
    ACTIVE,
    FINAL,
    OVER,
    DeskCall,
    DeskDataError,
    Effect,
    HandOff,
    Links,
    Load,
    Logged,
    LookUp,
    NewWho,
    Phase,
    Phone,
    Pop,
    Reply,
    StartWrapUp,
    Who,
    clean_form,
)
from .desk import UNDO_SECONDS, CallDesk

__all__ = [
    "ACTIVE",
    "FINAL",
    "OVER",
    "UNDO_SECONDS",
    "CallDesk",
    "DeskCall",
    "DeskDataError",
    "Effect",
    "HandOff",
    "Links",
    "Load",
    "Logged",
    "LookUp",
    "NewWho",
    "Phase",
    "Phone",
    "Pop",
    "Reply",
    "StartWrapUp",
    "Who",
    "clean_form",
]
