"""Every CN / CN_C / TP / TP_C sequence of the DSP TCK, read from its description and driven through the
machines for both parties (each holds its own copy of the state; they must agree after every message).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from battrace.dsp.negotiation import next_negotiation_state
from battrace.dsp.states import (
    InvalidTransition,
    NegotiationEvent,
    NegotiationState,
    Role,
    TransferEvent,
    TransferState,
)
from battrace.dsp.transfer import next_transfer_state

from ._fixtures import tck_cases

NE, TE, C, P = NegotiationEvent, TransferEvent, Role.CONSUMER, Role.PROVIDER
Step = tuple[NegotiationEvent | TransferEvent, Role, bool]  # (event, sender, marked invalid)

# Phrases of the TCK @DisplayName texts (see the "source" note in tck/test-cases.json).
NEGOTIATION_PHRASES = {
    "contract request": (NE.REQUEST, C),
    "offer received": (NE.OFFER, P),
    "provider offer": (NE.OFFER, P),
    "consumer counter-offer": (NE.REQUEST, C),
    "consumer accepted": (NE.ACCEPT, C),
    "provider agreed": (NE.AGREE, P),
    "provider agreement": (NE.AGREE, P),
    "consumer verified": (NE.VERIFY, C),
    "provider finalized": (NE.FINALIZE, P),
    "consumer terminated": (NE.TERMINATE, C),
    "provider terminated": (NE.TERMINATE, P),
}
TRANSFER_EVENTS = {
    "started": TE.START,
    "suspended": TE.SUSPEND,
    "completed": TE.COMPLETE,
    "terminated": TE.TERMINATE,
}


def _step(phrase: str, negotiation: bool) -> list[Step]:
    invalid = phrase.startswith(("invalid ", "illegal "))
    phrase = re.sub(r"^(invalid|illegal) ", "", phrase)
    repeat = 2 if phrase.endswith(" (x2)") else 1
    phrase = phrase.removesuffix(" (x2)")
    event: NegotiationEvent | TransferEvent
    if negotiation:
        event, sender = NEGOTIATION_PHRASES[phrase]
    elif phrase == "transfer request":
        event, sender = TE.REQUEST, C
    else:
        who, what = phrase.split(" ")
        event, sender = TRANSFER_EVENTS[what], Role(who.upper())
    # "(x2)": the second copy is the refused one (the TCK sequence diagram of CN:03-04 expects a 4xx there;
    # the "provider terminated" that follows in the title is never reached).
    return [(event, sender, invalid or i == 1) for i in range(repeat)]


def steps_of(description: str, negotiation: bool, negative: bool) -> list[Step]:
    phrases = description.removeprefix("Verify ").split(", ")
    steps = [s for phrase in phrases for s in _step(phrase, negotiation)]
    if negative and not any(invalid for _, _, invalid in steps):
        # TP/TP_C negatives do not say "invalid": their last message is the refused one.
        event, sender, _ = steps[-1]
        steps[-1] = (event, sender, True)
    return steps


def _advance(state: object, event: NegotiationEvent | TransferEvent, sender: Role) -> object:
    if isinstance(event, NegotiationEvent):
        assert state is None or isinstance(state, NegotiationState)
        return next_negotiation_state(state, event, sender)
    assert state is None or isinstance(state, TransferState)
    return next_transfer_state(state, event, sender)


SEQUENCE_CASES = [c for c in tck_cases() if c["group"] in ("CN", "CN_C", "TP", "TP_C")]


@pytest.mark.parametrize("case", SEQUENCE_CASES, ids=[c["id"] for c in SEQUENCE_CASES])
def test_tck_sequence_is_judged_as_the_tck_expects_by_both_parties(case: dict[str, object]) -> None:
    negotiation = str(case["group"]).startswith("CN")
    steps = steps_of(str(case["description"]), negotiation, negative=bool(case["negative"]))
    marked = [i for i, (_, _, invalid) in enumerate(steps) if invalid]
    assert len(marked) == (1 if case["negative"] else 0), "a negative case marks exactly its refused step"
    states: dict[Role, object] = {C: None, P: None}
    for index, (event, sender, invalid) in enumerate(steps):
        if invalid:
            for role in Role:  # the refusal is the same whichever side checks it
                with pytest.raises(InvalidTransition):
                    _advance(states[role], event, sender)
            assert index == marked[0]
            return
        states = {role: _advance(states[role], event, sender) for role in Role}
        assert states[C] == states[P]
    assert not case["negative"]


def test_all_tck_sequences_are_parsed() -> None:
    assert len(SEQUENCE_CASES) == 15 + 16 + 16 + 16  # CN, CN_C, TP, TP_C
    assert len(tck_cases()) == 67


def test_coverage_document_lists_every_tck_id_and_only_existing_tests() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "dsp-tck-coverage.md").read_text("utf-8")
    rows = {
        line.split("|")[1].strip(): line
        for line in doc.splitlines()
        if re.match(r"^\| (CAT|CN|MET|TP)", line)
    }
    assert set(rows) == {c["id"] for c in tck_cases()}
    sources = "".join(p.read_text("utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    for name in set(re.findall(r"`(test_\w+)", doc)):
        assert f"def {name}(" in sources, f"{name} named in the coverage doc does not exist"
