"""Who a call was with and how to call them, from the call itself: create the prospect of a
caller nobody knew, add the number to one, log the call to the person it was really with, mark
a number bad, record "don't call me".

Every one of these is a write through the outbox (`Writes`), durable before the window says
so; the desk learns at once who the call is with (a prospect being created is enough to log
it), and the card shows a number marked bad or an opt-out at once (`core.hygiene.Marks`),
until Outreach's answer settles it — or corrects it when Outreach refuses.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from ..core import settings as s
from ..core.desk import DeskCall, NewWho, Phone, Reply, Who
from ..core.hygiene import Marks, marked
from ..core.outreach.models import Match, PhoneNumber, Prospect
from ..core.phone import pretty, pretty_with_extension
from ..core.prospect_form import PHONE_TYPE_LABELS, FormErrors, ProspectForm, check_prospect_form
from . import shortcuts as keys
from .hygiene import HygieneBar, Standing
from .text import ask, isolate, neutralise
from .unknown_caller import UnknownCallerBar

if TYPE_CHECKING:
    from ..core.outreach.detail import ProspectDetail
    from ..core.prospect_form import ProspectPlan
    from .main_window import MainWindow
    from .new_prospect import NewProspectDialog
    from .pick_prospect import PickProspectDialog

GENERAL = "general"  # a FormErrors key that is no field: said under the form


def not_stored() -> tuple[type[Exception], ...]:
    """What a write raises when the outbox could not store it (a full disk, a read-only
    folder): nothing was queued, and the message says what to do. Named only when one is
    raised (`except` evaluates it then), so the window paints before the outbox loads."""
    from ..services.logbook import OutboxError

    return (OutboxError,)


class Writes(Protocol):
    """The outbox's side of these actions (the logbook). Each method stores its operation
    durably before it returns (or raises an `OutboxError`), the operation named by `ref`.

    Signals it has: `prospectCreated(str, object)` (ref, the `Prospect`),
    `numberAdded(str, object)` (ref, the `PhoneNumber`), `writeRefused(str, str)` (ref, why),
    `writeDone(str)` (ref: Outreach has it), `writeDropped(str)` (ref: the rep threw it away).
    """

    prospectCreated: Any
    numberAdded: Any
    writeRefused: Any
    writeDone: Any
    writeDropped: Any

    def create_prospect(self, plan: ProspectPlan, *, number_ref: str) -> None:
        """Create `plan.prospect` (its `ref` is the operation's), then add `plan.number` to
        them (operation `number_ref`) when there is one."""

    def add_number(
        self,
        ref: str,
        *,
        prospect_id: int,
        number: str,
        extension: str,
        phone_type: str,
        who: str,
    ) -> None:
        """Add `number` to the prospect (nothing when they have it already)."""

    def mark_number(
        self, ref: str, *, prospect_id: int, phone: PhoneNumber, bad: bool, who: str
    ) -> None:
        """Mark the prospect's number bad (or good again)."""

    def set_opt_out(self, ref: str, *, prospect_id: int, opted_out: bool, who: str) -> None:
        """Record that the prospect asked not to be called (or may be called again)."""

    def find(self, ref: str) -> Any:
        """The operation with this reference (an `Entry`), or None."""

    def announce(self, entry: Any) -> None:
        """Emit what became of the operation (its signal), if it is settled."""

    def pending_marks(self) -> list[Any]:
        """Bad-number and opt-out operations (`Entry`s) Outreach does not have yet."""


def new_ref() -> str:
    """An outbox operation's id: sent as the created prospect's `externalId`."""
    return str(uuid.uuid4())


def who_of(prospect: Prospect) -> Who:
    return Who(prospect.id, prospect.name)


class ProspectActions(QObject):
    """The window's unknown-caller bar, the wrap-up's hygiene row, their dialogs and keys."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._win = window
        self.marks = Marks()
        self._marks_version = 0
        self._shown: tuple[ProspectDetail, int, ProspectDetail] | None = None
        self.writes: Writes | None = None
        self.unknown_bar = UnknownCallerBar(window)
        self.hygiene_bar = HygieneBar(window)
        self.new_dialog: NewProspectDialog | None = None
        self.pick_dialog: PickProspectDialog | None = None
        self._for_call: str | None = None  # the call the open dialog is about
        self._adding = False  # the picker adds the call's number (else: a referral)
        self._plans: dict[str, ProspectPlan] = {}  # prospects being created, by operation
        self._about: dict[str, tuple[str, int]] = {}  # mark operation → (what, prospect id)
        self._creating: set[str] = set()
        self._adding_numbers: set[str] = set()
        # Their keys are the window's (`MainWindow.apply_keys`): editable like the others.
        self.unknown_bar.createRequested.connect(self.create_prospect)
        self.unknown_bar.addNumberRequested.connect(self.add_number)
        self.hygiene_bar.referRequested.connect(self.refer)
        self.hygiene_bar.badNumberRequested.connect(self.bad_number)
        self.hygiene_bar.optOutRequested.connect(self.opt_out)

    def attach(self, writes: Writes) -> None:
        """The outbox's writes, once the service is there."""
        self.writes = writes
        writes.prospectCreated.connect(self._on_writes_prospect_created)
        writes.numberAdded.connect(self._on_writes_number_added)
        writes.writeRefused.connect(self._on_writes_write_refused)
        writes.writeDone.connect(self._on_writes_write_done)
        writes.writeDropped.connect(self._on_writes_write_dropped)
        self._catch_up(writes)

    def _catch_up(self, writes: Writes) -> None:
        """Calls put back after a restart that wait for a prospect or a number the outbox was
        writing: what became of those writes meanwhile (or before the app stopped) is applied."""
        refs: list[str] = []
        for call in self._win.desk.calls:
            if call.new_prospect is not None:
                refs.append(call.new_prospect.ref)
            if call.number_ref:
                refs.append(call.number_ref)
        for ref in dict.fromkeys(refs):
            entry = writes.find(ref)
            if entry is None:  # never stored: it will never happen
                self._on_writes_write_dropped(ref)
            else:
                writes.announce(entry)
        for entry in writes.pending_marks():  # the card shows them until Outreach has them
            body, prospect_id = entry.body, entry.prospect_id or 0
            if entry.kind == "phone_status" and isinstance(body.get("phoneNumber"), int):
                self.marks.mark_number(
                    entry.ref, body["phoneNumber"], body.get("status") is not None
                )
                self._about[entry.ref] = ("A number marked", prospect_id)
            elif entry.kind == "call_opt_out" and isinstance(body.get("optedOut"), bool):
                self.marks.mark_opt_out(entry.ref, prospect_id, body["optedOut"])
                self._about[entry.ref] = ("The call opt-out", prospect_id)
        self._marks_changed()

    # -- showing ----------------------------------------------------------------------------

    def render(self) -> None:
        """The bars for the call in the wrap-up."""
        current = self._win.desk.current
        self.unknown_bar.show_call(current, looking_up=self._looking_up(current))
        self.hygiene_bar.show_call(current, self._standing(current))

    def shown(self, detail: ProspectDetail) -> ProspectDetail:
        """The card's data as the card shows it: with what the outbox is writing (the same
        object for the same data and marks, so the card is not drawn again for nothing)."""
        key = (detail, self._marks_version)
        if self._shown is None or self._shown[0] is not key[0] or self._shown[1] != key[1]:
            self._shown = (detail, self._marks_version, marked(detail, self.marks))
        return self._shown[2]

    def _marks_changed(self) -> None:
        self._marks_version += 1

    def show_pending_card(self) -> bool:
        """With no prospect on the card and the call in the wrap-up going to a prospect being
        created, the card shows that prospect (True); else nothing is done (False)."""
        desk = self._win.desk
        current = desk.current
        if desk.card is not None or desk.card_number or current is None:
            return False
        new = current.new_prospect
        if new is None:
            return False
        card = self._win.card
        plan = self._plans.get(new.ref)
        about = [plan.prospect.title or "", plan.prospect.company or ""] if plan else []
        number = pretty_with_extension(plan.number, plan.extension) if plan and plan.number else ""
        lines = [
            " · ".join(x for x in about if x),
            f"{PHONE_TYPE_LABELS.get(plan.phone_type, '')} {number}" if plan and number else "",
            "New prospect: being created in Outreach (see the outbox).",
        ]
        text = "\n".join(line for line in lines if line)
        if card.detail is not None or card.name.text() != new.name or card.subtitle.text() != text:
            card.show_loading(new.name)
            card.subtitle.setText(text)
        return True

    def _looking_up(self, call: DeskCall | None) -> bool:
        if call is None or not call.number or call.has_prospect:
            return False
        return self._win.is_looking_up(call.number)

    def _standing(self, call: DeskCall | None) -> Standing:
        if call is None or call.prospect is None:
            return Standing()
        detail = self._win.detail_of(call.prospect.id)
        if detail is None:
            return Standing()
        prospect = self.shown(detail).prospect
        number = next(
            (n for n in prospect.phone_numbers if n.id == call.phone_number_id),
            None,
        )
        return Standing(number, prospect.call_opted_out)

    # -- the rep's actions ------------------------------------------------------------------

    def _say(self, reply: Reply) -> None:
        self._win.apply_to_wrap_up(reply)

    def _call(self, *, error: str) -> DeskCall | None:
        current = self._win.desk.current
        if current is None:
            self._say(Reply(error=error))
        return current

    def _need_writes(self) -> Writes | None:
        if self.writes is None:
            self._say(Reply(error="Not connected to Outreach yet: try again in a moment."))
        return self.writes

    def create_prospect(self) -> None:
        """ "Create prospect…" for the call in the wrap-up (a caller nobody knew)."""
        call = self._call(error="No call to create a prospect for: dial or answer one first.")
        if call is None or self._need_writes() is None:
            return
        if call.prospect is not None:
            self._say(
                Reply(
                    error=f"The call is with {call.who}. If it was someone else, use Wrong "
                    f"person — log to… ({keys.REFER.label})."
                )
            )
            return
        self._open_new(call, intro=f"The call with {call.who} was with:", with_number=True)

    def _open_new(self, call: DeskCall, *, intro: str, with_number: bool) -> None:
        if self.new_dialog is None:
            from .new_prospect import NewProspectDialog

            self.new_dialog = NewProspectDialog(self._submit_new, self._win)
        self._for_call = call.id
        number = (
            pretty_with_extension(call.number, call.extension)
            if with_number and call.number
            else ""
        )
        self.new_dialog.start(intro=intro, number=number)

    def _submit_new(self, form: ProspectForm) -> None:
        """The form, checked, to the outbox; the call goes to the new prospect. Raise
        FormErrors to keep the form open."""
        desk = self._win.desk
        call = desk.get(self._for_call)
        if call is None or call.final:
            raise FormErrors({GENERAL: "That call is no longer open (logged or discarded)."})
        writes = self.writes
        if writes is None:
            raise FormErrors({GENERAL: "Not connected to Outreach yet: try again in a moment."})
        ref = new_ref()
        plan = check_prospect_form(form, ref=ref, region=self._win.settings.get(s.REGION))
        number_ref = new_ref() if plan.number else ""
        try:
            writes.create_prospect(plan, number_ref=number_ref)
        except not_stored() as exc:
            raise FormErrors({GENERAL: f"Not saved: {exc}"}) from None
        self._plans[ref] = plan
        self._creating.add(ref)
        if number_ref:
            self._adding_numbers.add(number_ref)
        own_number = plan.number == call.number and plan.extension == call.extension
        reply = desk.create_prospect(
            NewWho(ref, plan.name), call.id, number_ref=number_ref if own_number else ""
        )
        self._say(reply)

    def add_number(self) -> None:
        """ "Add this number to…": find the prospect the caller is; the number goes to them."""
        call = self._call(error="No call whose number to add: dial or answer one first.")
        if call is None or self._need_writes() is None:
            return
        if not call.number:
            self._say(Reply(error="This call came with no number to add."))
            return
        if call.has_prospect:
            self._say(Reply(error=f"The call is with {call.who} already."))
            return
        self._adding = True
        self._open_picker(
            call,
            title="Add this number to…",
            intro=f"Who has called from {call.number_text}? Find them: the number is added "
            "to their numbers in Outreach, and the call is logged to them.",
            offer_new=False,
        )

    def refer(self) -> None:
        """ "Wrong person — log to…": the call was with someone else, found or created."""
        call = self._call(error="No call in the wrap-up to log to someone else.")
        if call is None or self._need_writes() is None:
            return
        self._adding = False
        self._open_picker(
            call,
            title="Wrong person — log to…",
            intro=f"The call with {call.who} was with someone else: find them, or create "
            "them (New prospect…). The call keeps its times.",
            offer_new=True,
        )

    def _open_picker(self, call: DeskCall, *, title: str, intro: str, offer_new: bool) -> None:
        if self.pick_dialog is None:
            from .pick_prospect import PickProspectDialog

            self.pick_dialog = PickProspectDialog(self._win.find_prospects, self._win)
            self.pick_dialog.picked.connect(self._on_pick_dialog_picked)
            self.pick_dialog.newRequested.connect(self._on_pick_dialog_new_requested)
        self._for_call = call.id
        self.pick_dialog.start(
            title=title, intro=intro, offer_new=offer_new, with_type=self._adding
        )

    def _on_pick_dialog_picked(self, match: Match) -> None:
        # Once the picker has closed, the keys go back to the wrap-up (Ctrl+Enter logs).
        QTimer.singleShot(0, self._win.focus_wrap_up)
        desk = self._win.desk
        call = desk.get(self._for_call)
        if call is None or call.final:
            self._say(Reply(error="That call is no longer open (logged or discarded)."))
            return
        who = who_of(match.prospect)
        if not self._adding:
            self._say(desk.assign(who, call.id))
            return
        writes = self.writes
        if writes is None or self.pick_dialog is None:
            return
        ref = new_ref()
        try:
            writes.add_number(
                ref,
                prospect_id=who.id,
                number=call.number,
                extension=call.extension,
                phone_type=self.pick_dialog.chosen_type(),
                who=who.name,
            )
        except not_stored() as exc:
            self._say(Reply(error=f"Not saved: {neutralise(str(exc))}"))
            return
        self._adding_numbers.add(ref)
        reply = desk.assign(who, call.id, number_ref=ref)
        if reply.ok:
            reply.say = (
                f"{call.number_text} is being added to {isolate(who.name)}'s numbers; the call "
                "is with them."
            )
        self._say(reply)

    def _on_pick_dialog_new_requested(self) -> None:
        call = self._win.desk.get(self._for_call)
        if call is None or call.final:
            self._say(Reply(error="That call is no longer open (logged or discarded)."))
            return
        self._open_new(
            call,
            intro=f"The call with {call.who} was really with:",
            with_number=not call.has_prospect,
        )

    def bad_number(self) -> None:
        """ "Bad number": the number the call went to is wrong or dead (asked first)."""
        call = self._call(error="No call in the wrap-up whose number to mark.")
        if call is None:
            return
        standing = self._standing(call)
        number = standing.number
        if call.prospect is None or number is None:
            self._say(
                Reply(
                    error="Only a number on the prospect's card can be marked bad: this "
                    "call's number is not one of theirs (yet)."
                )
            )
            return
        writes = self._need_writes()
        if writes is None:
            return
        bad = not number.is_bad
        label = _number_label(number)
        name = isolate(call.prospect.name)
        question = (
            f"Mark {label} of {name} as a bad number in Outreach? The card stops offering it "
            "(for every rep), and dialling it asks first."
            if bad
            else f"Mark {label} of {name} as a good number again in Outreach?"
        )
        if not self._confirm("Bad number" if bad else "Not a bad number", question):
            return
        ref = new_ref()
        try:
            writes.mark_number(
                ref, prospect_id=call.prospect.id, phone=number, bad=bad, who=call.prospect.name
            )
        except not_stored() as exc:
            self._say(Reply(error=f"Not saved: {neutralise(str(exc))}"))
            return
        self.marks.mark_number(ref, number.id, bad)
        self._marks_changed()
        self._about[ref] = (f"{label} marked {'bad' if bad else 'good'}", call.prospect.id)
        self._say(
            Reply(say=f"{label} is marked {'bad' if bad else 'good again'}; saved for Outreach.")
        )
        self._win.render()

    def opt_out(self) -> None:
        """ "Asked not to be called": the prospect's call opt-out (asked first)."""
        call = self._call(error="No call in the wrap-up whose prospect asked that.")
        if call is None:
            return
        standing = self._standing(call)
        if call.prospect is None or standing.opted_out is None:
            self._say(
                Reply(
                    error="Say who the call was with first (and wait for their card): the "
                    "opt-out is theirs."
                )
            )
            return
        writes = self._need_writes()
        if writes is None:
            return
        opted = not standing.opted_out
        name = isolate(call.prospect.name)
        question = (
            f"Record in Outreach that {name} asked not to be called? Calling them will ask "
            "for your confirmation first (every rep)."
            if opted
            else f"Record in Outreach that {name} may be called again?"
        )
        if not self._confirm("Asked not to be called" if opted else "Call opt-out", question):
            return
        ref = new_ref()
        try:
            writes.set_opt_out(
                ref, prospect_id=call.prospect.id, opted_out=opted, who=call.prospect.name
            )
        except not_stored() as exc:
            self._say(Reply(error=f"Not saved: {neutralise(str(exc))}"))
            return
        self.marks.mark_opt_out(ref, call.prospect.id, opted)
        self._marks_changed()
        what = "opted out of calls" if opted else "may be called again"
        self._about[ref] = (f"{name} {what}", call.prospect.id)
        self._say(Reply(say=f"{name} {what}; saved for Outreach."))
        self._win.render()

    def _confirm(self, title: str, question: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = ask(self._win, title, question, buttons, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def confirm_dial(self, number: PhoneNumber) -> bool:
        """Dialling a number marked bad asks first."""
        if not number.is_bad:
            return True
        return self._confirm(
            "Bad number",
            f"{_number_label(number)} is marked as a bad number (wrong or dead). Call it anyway?",
        )

    # -- what the outbox's writes became ----------------------------------------------------

    def _on_writes_prospect_created(self, ref: str, prospect: Prospect) -> None:
        self._creating.discard(ref)
        self._plans.pop(ref, None)
        reply = self._win.desk.prospect_created(ref, who_of(prospect))
        reply.say = f"{isolate(prospect.name)} is created in Outreach."
        self._win.apply_to_wrap_up(reply)

    def _on_writes_number_added(self, ref: str, phone: PhoneNumber) -> None:
        self._adding_numbers.discard(ref)
        self._win.desk.number_added(ref, Phone(phone.id, phone.number, phone.extension))
        self._win.render()

    def _is_creating(self, ref: str) -> bool:
        return ref in self._creating or any(
            c.new_prospect is not None and c.new_prospect.ref == ref for c in self._win.desk.calls
        )

    def _is_adding(self, ref: str) -> bool:
        return ref in self._adding_numbers or any(c.number_ref == ref for c in self._win.desk.calls)

    def _on_writes_write_refused(self, ref: str, message: str) -> None:
        desk = self._win.desk
        why = neutralise(message)
        if self._is_creating(ref):
            self._creating.discard(ref)
            plan = self._plans.pop(ref, None)
            reply = desk.creation_refused(ref)
            name = isolate(plan.name) if plan else "The new prospect"
            reply.say = (
                f"Outreach refused to create {name}: {why} It waits in the outbox to be fixed "
                "or discarded." + (f" {reply.say}" if reply.say else "")
            )
            self._win.apply_to_wrap_up(reply)
        elif self._is_adding(ref):
            self._adding_numbers.discard(ref)
            desk.number_refused(ref)
            self._win.apply_to_wrap_up(Reply(say=f"Outreach refused to add the number: {why}"))
        elif self.marks.settle(ref):
            self._marks_changed()
            what, prospect_id = self._about.pop(ref, ("The change", 0))
            self._win.reload_card(prospect_id)  # the card shows what Outreach has
            self._win.apply_to_wrap_up(
                Reply(say=f"Outreach refused this: {what}. {why} The card shows Outreach's.")
            )

    def _on_writes_write_done(self, ref: str) -> None:
        """A mark reached Outreach: the card keeps it (read again, it has it)."""
        if ref not in self.marks.numbers and ref not in self.marks.opt_outs:
            return
        _what, prospect_id = self._about.pop(ref, ("", 0))
        detail = self._win.detail_of(prospect_id)
        only = Marks(
            numbers={k: v for k, v in self.marks.numbers.items() if k == ref},
            opt_outs={k: v for k, v in self.marks.opt_outs.items() if k == ref},
        )
        self.marks.settle(ref)
        self._marks_changed()
        if detail is not None:
            self._win.keep_detail(marked(detail, only))
        self._win.render()

    def _on_writes_write_dropped(self, ref: str) -> None:
        """The rep threw an operation away in the outbox: it will never happen."""
        if self._is_creating(ref):
            self._on_writes_write_refused(ref, "The operation was discarded.")
        elif self._is_adding(ref):
            self._adding_numbers.discard(ref)
            self._win.desk.number_refused(ref)
            self._win.render()
        elif self.marks.settle(ref):
            self._marks_changed()
            _what, prospect_id = self._about.pop(ref, ("", 0))
            self._win.reload_card(prospect_id)


def _number_label(number: PhoneNumber) -> str:
    kind = PHONE_TYPE_LABELS.get(number.phone_type, number.phone_type or "phone").lower()
    text = pretty(number.number)
    if number.extension:
        text += f" ext. {number.extension}"
    return f"{text} ({kind})"
