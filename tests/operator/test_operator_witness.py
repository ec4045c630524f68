"""The operator as witness of its members' logs: it cosigns only checkpoints consistent with the last one it
verified, and raises an alarm on a split view, a shrinking log or a failed consistency proof."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from operator_support import T0, FakeClock, counter_ids, offline
from test_operator_witness_fakes import FakeMember, FakeMembers, enrol

from battrace.ledger.note import CosignatureVerifier, cosignature_time, open_checkpoint, split_note
from battrace.operator import SpaceOperator, init_space
from battrace.operator.files import SpaceFiles
from battrace.operator.witness import (
    AlarmKind,
    MemberRecord,
    MemberStatus,
    Witness,
    WitnessLoop,
    witness_name,
    witness_signer,
    witness_vkeys,
)

URL = "http://127.0.0.1:8301"
CELL, CAR = "did:web:cell.example", "did:web:car.example"


class Setup:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = FakeClock()
        init_space(root, name="eu-battery", public_url=URL, api_key="k", clock=self.clock)
        self.members = FakeMembers()
        self.cell = self.members.add(FakeMember(CELL, "cell.example/log"))
        self.car = self.members.add(FakeMember(CAR, "car.example/log"))
        enrol(root, self.cell, self.car)
        self.witness = self.restart()

    def restart(self) -> Witness:
        """A new witness over the same space directory (what a restarted operator builds)."""
        return Witness(SpaceFiles(self.root), self.members, clock=self.clock, ids=counter_ids("a"))

    def verifier(self) -> CosignatureVerifier:
        operator = SpaceOperator(
            self.root, clock=self.clock, ids=counter_ids("b"), resolve=offline, download=offline
        )
        (vkey,) = witness_vkeys(operator.operator_document())
        return CosignatureVerifier.from_vkey(vkey)

    def record(self, did: str) -> dict[str, object]:
        return next(m for m in self.witness.members() if m["did"] == did)


@pytest.fixture
def space(tmp_path: Path) -> Setup:
    return Setup(tmp_path / "space")


def test_a_consistent_member_log_is_cosigned_by_the_key_the_operator_document_names(space: Setup) -> None:
    space.cell.append(5)
    space.witness.poll_once()
    (cosigned,) = space.cell.received
    verifier = space.verifier()
    assert verifier.name == witness_name(URL) == "127.0.0.1:8301/witness"
    assert cosignature_time(cosigned, verifier) == int(T0.timestamp())
    # the member's own signature is still there, and the text is exactly the member's checkpoint
    assert open_checkpoint(cosigned, [space.cell.signer.verifier()]).size == 5
    assert split_note(cosigned)[0] == split_note(space.cell.checkpoint())[0]
    record = space.record(CELL)
    assert record["status"] == MemberStatus.OK and record["cosigned"] is True
    assert record["checkpoint"]["size"] == 5  # type: ignore[index]
    assert space.witness.alarms() == []


def test_a_grown_log_is_cosigned_after_its_consistency_proof_verifies(space: Setup) -> None:
    space.cell.append(5)
    space.witness.poll_once()
    space.cell.append(8)
    space.witness.poll_once()
    assert space.cell.proofs_asked == [(5, 13)]
    assert [open_checkpoint(n, [space.cell.signer.verifier()]).size for n in space.cell.received] == [5, 13]
    assert space.record(CELL)["status"] == MemberStatus.OK
    assert space.witness.alarms() == []


def test_an_unchanged_checkpoint_is_not_cosigned_again(space: Setup) -> None:
    space.cell.append(3)
    space.witness.poll_once()
    space.witness.poll_once()
    assert len(space.cell.received) == 1
    assert space.cell.proofs_asked == []


def test_an_empty_log_may_grow_without_a_proof(space: Setup) -> None:
    space.witness.poll_once()  # size 0
    space.cell.append(4)
    space.witness.poll_once()
    assert space.cell.proofs_asked == []  # RFC 9162 §2.1.4: nothing to prove about the empty tree
    assert len(space.cell.received) == 2 and space.witness.alarms() == []


def test_two_different_checkpoints_of_the_same_size_are_a_split_view(
    space: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    space.cell.append(6)
    space.witness.poll_once()
    first_note = space.cell.checkpoint()
    space.cell.entries = [b"forged-" + e for e in space.cell.entries]  # same size, another history
    with caplog.at_level(logging.WARNING, logger="battrace.operator.witness"):
        space.witness.poll_once()
    (alarm,) = space.witness.alarms()
    assert alarm["kind"] == AlarmKind.SPLIT_VIEW and alarm["member"] == CELL
    # the evidence: two notes of size 6, both signed by the member's own key, with different roots
    assert alarm["lastVerified"]["note"] == first_note
    assert alarm["observed"]["note"] == space.cell.checkpoint()
    assert alarm["lastVerified"]["root"] != alarm["observed"]["root"]
    assert len(space.cell.received) == 1, "the forged checkpoint must not be cosigned"
    assert space.record(CELL)["status"] == MemberStatus.ALARM
    assert any("split-view" in r.message and CELL in r.message for r in caplog.records)
    assert all(r.levelno == logging.WARNING for r in caplog.records if "ALARM" in r.message)


def test_a_shrinking_log_raises_an_alarm_and_keeps_the_last_good_checkpoint(space: Setup) -> None:
    space.car.append(10)
    space.witness.poll_once()
    space.car.entries = space.car.entries[:7]
    space.witness.poll_once()
    (alarm,) = space.witness.alarms()
    assert alarm["kind"] == AlarmKind.SHRINK
    assert (alarm["lastVerified"]["size"], alarm["observed"]["size"]) == (10, 7)
    assert space.record(CAR)["checkpoint"]["size"] == 10  # type: ignore[index]
    assert space.record(CELL)["status"] == MemberStatus.OK, "the other member is unaffected"


def test_a_rewritten_longer_history_fails_its_consistency_proof(space: Setup) -> None:
    space.cell.append(5)
    space.witness.poll_once()
    space.cell.entries = [b"rewritten", *space.cell.entries[1:]]
    space.cell.append(3)
    space.witness.poll_once()
    (alarm,) = space.witness.alarms()
    assert alarm["kind"] == AlarmKind.INCONSISTENT
    assert (alarm["lastVerified"]["size"], alarm["observed"]["size"]) == (5, 8)
    assert len(space.cell.received) == 1


@pytest.mark.parametrize("lie", ["forged proof", "refused proof", "empty proof"])
def test_a_growing_log_that_cannot_prove_consistency_is_inconsistent(space: Setup, lie: str) -> None:
    space.cell.append(5)
    space.witness.poll_once()
    space.cell.append(3)
    if lie == "refused proof":
        space.cell.refuse_proofs = True
    else:
        space.cell.proof_override = [] if lie == "empty proof" else [bytes(32)] * 3
    space.witness.poll_once()
    (alarm,) = space.witness.alarms()
    assert alarm["kind"] == AlarmKind.INCONSISTENT


def test_a_contradiction_seen_again_is_one_alarm_not_one_per_round(space: Setup) -> None:
    space.cell.append(4)
    space.witness.poll_once()
    space.cell.entries = space.cell.entries[:2]
    for _ in range(3):
        space.witness.poll_once()
    assert len(space.witness.alarms()) == 1
    space.cell.entries = space.cell.entries[:1]  # a further, different shrink is a new alarm
    space.witness.poll_once()
    assert [a["observed"]["size"] for a in space.witness.alarms()] == [2, 1]


def test_the_reference_survives_a_restart_so_a_shrink_across_it_is_caught(space: Setup) -> None:
    space.cell.append(9)
    space.witness.poll_once()
    space.cell.entries = space.cell.entries[:3]
    space.restart().poll_once()
    (alarm,) = space.restart().alarms()
    assert alarm["kind"] == AlarmKind.SHRINK


def test_an_unreachable_member_is_no_alarm_and_is_checked_again_later(space: Setup) -> None:
    space.cell.append(2)
    space.witness.poll_once()
    space.cell.offline = True
    space.cell.append(2)
    space.witness.poll_once()
    record = space.record(CELL)
    assert record["status"] == MemberStatus.UNREACHABLE and "connection refused" in str(record["error"])
    assert record["checkpoint"]["size"] == 2  # type: ignore[index]
    space.cell.offline = False
    space.witness.poll_once()
    assert space.record(CELL)["status"] == MemberStatus.OK
    assert space.witness.alarms() == []


def test_a_checkpoint_the_member_key_does_not_verify_is_invalid_not_an_alarm(space: Setup) -> None:
    space.cell.append(3)
    space.witness.poll_once()
    genuine = space.cell.peer_log
    space.cell.entries = space.cell.entries[:1]
    impostor = FakeMember(CELL, "cell.example/log")  # same origin, another key: not the member's signature
    space.cell.key = impostor.key
    space.members.log_of = lambda did: genuine  # type: ignore[method-assign]
    space.members._at = lambda endpoint: space.cell  # type: ignore[method-assign]
    space.witness.poll_once()
    record = space.record(CELL)
    assert record["status"] == MemberStatus.INVALID
    assert record["checkpoint"]["size"] == 3  # type: ignore[index]
    assert space.witness.alarms() == []


def test_a_cosignature_the_member_did_not_take_is_delivered_at_the_next_round(space: Setup) -> None:
    space.cell.append(3)
    space.cell.refuse_cosignatures = True
    space.witness.poll_once()
    record = space.record(CELL)
    assert record["cosigned"] is False and "not delivered" in str(record["error"])
    assert record["checkpoint"]["size"] == 3  # type: ignore[index]
    space.cell.refuse_cosignatures = False
    space.witness.poll_once()
    assert len(space.cell.received) == 1 and space.record(CELL)["cosigned"] is True


def test_members_not_yet_polled_are_listed_as_pending(space: Setup) -> None:
    assert {(m["did"], m["status"]) for m in space.witness.members()} == {
        (CELL, MemberStatus.PENDING),
        (CAR, MemberStatus.PENDING),
    }


def test_the_witness_key_is_its_own_not_the_operator_key(space: Setup) -> None:
    files = SpaceFiles(space.root)
    signer = witness_signer(files, files.config())
    assert files.witness_key_file.exists()
    operator_raw = files.operator_keys().public_jwk()["x"]
    witness_raw = files.witness_keys().public_jwk()["x"]
    assert operator_raw != witness_raw
    assert signer.vkey == space.verifier().vkey


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(growth=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6))
def test_an_honest_log_never_raises_an_alarm_however_it_grows(tmp_path: Path, growth: list[int]) -> None:
    space = Setup(tmp_path / f"space-{len(list(tmp_path.iterdir()))}")
    for count in growth:
        space.cell.append(count)
        space.witness.poll_once()
    assert space.witness.alarms() == []
    assert space.record(CELL)["checkpoint"]["size"] == sum(growth)  # type: ignore[index]


def test_the_background_loop_runs_rounds_until_stopped_and_survives_a_failed_round(space: Setup) -> None:
    rounds: list[int] = []
    real = space.witness.poll_once

    def flaky() -> list[MemberRecord]:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("a corrupt directory file")
        return real()

    space.witness.poll_once = flaky  # type: ignore[method-assign]
    space.cell.append(2)
    loop = WitnessLoop(space.witness, 0.01).start()
    deadline = time.monotonic() + 10
    while len(space.cell.received) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    done = len(rounds)
    time.sleep(0.05)
    assert len(rounds) == done, "no round after stop()"
    assert done >= 2 and len(space.cell.received) == 1


def test_a_defect_met_with_one_member_does_not_stop_the_round(space: Setup) -> None:
    space.cell.append(2)
    space.car.append(2)
    space.witness.poll_once()
    space.car.append(1)
    space.car.checkpoint = lambda: 42  # type: ignore[assignment,method-assign,return-value]
    space.cell.append(1)
    space.witness.poll_once()  # CAR < CELL: the broken member is polled first
    assert space.record(CAR)["status"] == MemberStatus.UNREACHABLE
    assert "internal error" in str(space.record(CAR)["error"])
    assert space.record(CAR)["checkpoint"]["size"] == 2  # type: ignore[index]
    assert space.record(CELL)["status"] == MemberStatus.OK and len(space.cell.received) == 2
