"""Property-based fuzzing of the parsers that take outsiders' bytes: JSON-LD expansion and compaction, ODRL
policies, VC-JWT credentials, due-diligence workbooks and state-of-health measurement files.

The one property: whatever the input, a parser either answers or refuses with a BattraceError
(InvalidInput, Unauthenticated, ...: a 4xx at the HTTP edge); any other exception is a 500 waiting to happen.
A hang shows as this file not finishing (inputs are kept small: no example needs more than a fraction of a
second).
Inputs are random and *mutated valid documents*: a valid offer, credential or workbook with one part broken
reaches far deeper into a parser than random bytes do. Derandomized, so CI sees the same examples each run.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battrace.apps.duediligence.example import cellco
from battrace.apps.duediligence.workbook import export_workbook, import_workbook
from battrace.apps.soh import fleet
from battrace.apps.soh.ingest import parse_csv, parse_json
from battrace.errors import BattraceError, InvalidInput, NotFound
from battrace.jsonld import compact, expand, known_contexts
from battrace.policy import parse_policy
from battrace.trust import IssuerKey, MembershipCredential, decode_credential_jwt, issue_credential
from battrace.trust.verify import verify_credential

BOUNDED = settings(
    max_examples=60, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
SLOW_BOUNDED = settings(BOUNDED, max_examples=25)  # openpyxl reads a workbook in tens of milliseconds


def answers_or_refuses(call: Callable[[], object]) -> None:
    """The property: ``call`` returns, or raises a BattraceError; anything else propagates and fails."""
    with contextlib.suppress(BattraceError):
        call()


# --- JSON values and mutations -------------------------------------------------------------------------

KEYWORDS = ["@context", "@id", "@type", "@value", "@list", "@set", "@graph", "@language", "@reverse"]
KEYWORDS += ["@index", "@vocab", "@base", "@nest", "@container", "@included", "@json", "@direction"]
TERMS = ["odrl:permission", "dcat:dataset", "action", "target", "constraint", "leftOperand", "x", ""]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=16)
    | st.sampled_from([*known_contexts(), "http://evil.example/ctx", "_:b0", "odrl:use", "@none"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYWORDS + TERMS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return [_replaced(item, rest, new) if i == head else item for i, item in enumerate(value)]


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one to three of its values (or the whole) replaced by random JSON."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(document)))
        document = _replaced(document, path, draw(json_values))
    return document


# --- JSON-LD -------------------------------------------------------------------------------------------

OFFER: dict[str, Any] = {
    "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
    "@type": "Offer",
    "@id": "urn:uuid:offer-1",
    "target": "urn:uuid:asset-1",
    "permission": [
        {
            "action": "use",
            "constraint": [
                {"leftOperand": "purpose", "operator": "eq", "rightOperand": "cx.pcf.base:1"},
                {"or": [{"leftOperand": "BusinessPartnerNumber", "operator": "eq", "rightOperand": "a"}]},
            ],
        }
    ],
    "prohibition": [],
    "obligation": [],
}
contexts = st.sampled_from(known_contexts()) | json_values


@BOUNDED
@given(document=st.dictionaries(st.sampled_from(KEYWORDS + TERMS), json_values, max_size=6))
def test_expansion_of_any_json_object_answers_or_refuses(document: dict[str, Any]) -> None:
    answers_or_refuses(lambda: expand(document))


@BOUNDED
@given(document=mutated(OFFER), context=contexts)
def test_compaction_of_a_mutated_offer_against_any_context_answers_or_refuses(
    document: dict[str, Any], context: Any
) -> None:
    answers_or_refuses(lambda: compact(document, context))


# --- ODRL policies -------------------------------------------------------------------------------------


@BOUNDED
@given(document=mutated(OFFER))
def test_parsing_a_mutated_odrl_offer_answers_or_refuses(document: Any) -> None:
    answers_or_refuses(lambda: parse_policy(document))


@BOUNDED
@given(document=json_values, context=st.none() | st.lists(json_values, max_size=3))
def test_parsing_any_json_as_a_policy_answers_or_refuses(document: Any, context: Any) -> None:
    answers_or_refuses(lambda: parse_policy(document, context))


# --- VC-JWT credentials --------------------------------------------------------------------------------

ISSUER = "did:web:issuer.example"
HOLDER = "did:web:cellmaker.example"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@cache
def _issuer_key() -> IssuerKey:
    return IssuerKey.generate("ES256")


@cache
def _credential() -> str:
    subject = MembershipCredential("BPNL00000003AYRE", member_of="did:web:space.jp")
    return issue_credential(
        _issuer_key(), ISSUER, HOLDER, subject, valid_from=NOW, valid_until=NOW + timedelta(days=30),
        status=None, now=NOW, jti="urn:uuid:cred-1",
    )  # fmt: skip


def _issuer_document(did: str) -> dict[str, Any]:
    if did != ISSUER:
        raise NotFound(f"no DID document for {did}")
    method = _issuer_key().verification_method(did)
    return {"id": did, "verificationMethod": [method], "assertionMethod": [method["id"]]}


def _verify(token: str) -> object:
    return verify_credential(
        token,
        issuer_document_for=_issuer_document,
        is_trusted=lambda issuer, credential_type, at: issuer == ISSUER,
        status=None,
        holder=HOLDER,
        now=NOW + timedelta(hours=1),
    )


def _b64(value: Any) -> str:
    raw = json.dumps(value).encode() if not isinstance(value, bytes) else value
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segments() -> list[Any]:
    header, payload, _ = _credential().split(".")
    return [json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in (header, payload)]


@st.composite
def mutated_tokens(draw: st.DrawFn) -> str:
    """The valid credential broken one way: a character changed, cut short, or its header or claims mutated
    and re-encoded (the signature then no longer matches, or the claims no longer make a credential)."""
    token = _credential()
    how = draw(st.sampled_from(["character", "truncate", "header", "claims", "segments"]))
    if how == "character":
        at = draw(st.integers(min_value=0, max_value=len(token) - 1))
        return token[:at] + draw(st.characters(codec="ascii")) + token[at + 1 :]
    if how == "truncate":
        return token[: draw(st.integers(min_value=0, max_value=len(token) - 1))]
    if how == "segments":
        return ".".join(draw(st.lists(st.sampled_from([*token.split("."), "", "e30", "bm9uZQ"]), max_size=5)))
    header, claims = _segments()
    signature = token.split(".")[2]
    if how == "header":
        header = draw(mutated(header))
        return f"{_b64(header)}.{token.split('.')[1]}.{signature}"
    return f"{token.split('.')[0]}.{_b64(draw(mutated(claims)))}.{signature}"


def test_the_unmutated_credential_verifies() -> None:
    # The base of the mutations is valid, so a mutation that is refused was refused for the mutation.
    assert _verify(_credential()) is not None


# Found by fuzzing: a header whose "typ" was not a string made decode_credential_jwt raise TypeError
# (`typ in VC2_TYPS`), a 500 at POST /management/v3/credentials and wherever a peer's credential is verified.
def test_a_credential_whose_typ_header_is_not_a_string_is_refused() -> None:
    header, claims = _segments()
    token = f"{_b64({**header, 'typ': ['JWT']})}.{_b64(claims)}.{_credential().split('.')[2]}"
    answers_or_refuses(lambda: decode_credential_jwt(token))


@BOUNDED
@given(token=mutated_tokens() | st.text(max_size=200))
def test_decoding_and_verifying_a_mutated_or_garbage_token_answers_or_refuses(token: str) -> None:
    answers_or_refuses(lambda: decode_credential_jwt(token))
    answers_or_refuses(lambda: _verify(token))


# --- due-diligence workbooks ---------------------------------------------------------------------------


@cache
def _workbook() -> bytes:
    return export_workbook(cellco())


def test_the_unmutated_workbook_imports() -> None:
    assert import_workbook(_workbook()).model_dump() == cellco().model_dump()


def _rezipped(content: bytes, member: int, data: bytes) -> bytes:
    """The workbook with one zip member's content replaced (still a valid zip: the XML inside is broken)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for index, info in enumerate(source.infolist()):
            original = source.read(info)
            target.writestr(info, data if index == member % len(source.infolist()) else original)
    return out.getvalue()


class Upload(bytes):
    """Workbook bytes that print as their size: hypothesis prints falsifying examples, and a 36 kB repr
    buries the mutation (which the drawn integers before it already tell)."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"


@st.composite
def mutated_workbooks(draw: st.DrawFn) -> Upload:
    return Upload(_mutated_workbook(draw))


def _mutated_workbook(draw: st.DrawFn) -> bytes:
    content = _workbook()
    how = draw(st.sampled_from(["random", "truncate", "flip", "member"]))
    if how == "random":
        return draw(st.binary(max_size=512))
    if how == "truncate":
        return content[: draw(st.integers(min_value=0, max_value=len(content) - 1))]
    if how == "flip":
        at = draw(st.integers(min_value=0, max_value=len(content) - 1))
        return content[:at] + bytes([content[at] ^ draw(st.integers(1, 255))]) + content[at + 1 :]
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        members = book.infolist()
    member = draw(st.integers(min_value=0, max_value=len(members) - 1))
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        original = book.read(members[member])
    cut = draw(st.integers(min_value=0, max_value=len(original)))
    # Draw a choice, not the bytes (see Upload).
    choice = draw(st.integers(min_value=0, max_value=3))
    replacement = [original[:cut], original[:cut] + b"<x>", b"", b"<?xml version='1.0'?>"][choice]
    return _rezipped(content, member, replacement)


@SLOW_BOUNDED
@given(content=mutated_workbooks())
def test_importing_a_mutated_or_random_workbook_answers_or_refuses(content: Upload) -> None:
    answers_or_refuses(lambda: import_workbook(content))


# --- state-of-health measurement files -----------------------------------------------------------------

HEADER = "battery_id,measured_at,capacity [Ah],capacity_throughput [Ah],soh [%],deep_discharges [count]"
ROWS = ["EV-1,2026-01-31T00:00:00Z,178.2,0,99.0,0", "EV-1,2026-02-28T00:00:00Z,177.9,900,98.8,0"]
cells = st.sampled_from(["", "EV-1", "nan", "inf", "-1", "1e309", "2026-02-30T00:00:00Z", "0", '"', "a,b"])
cells |= st.text(max_size=12)


@st.composite
def mutated_csv(draw: st.DrawFn) -> str:
    rows = [row.split(",") for row in [HEADER, *ROWS]]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        row = draw(st.integers(min_value=0, max_value=len(rows) - 1))
        column = draw(st.integers(min_value=0, max_value=len(rows[row]) - 1))
        rows[row][column] = draw(cells)
    if draw(st.booleans()):
        rows.append(draw(st.lists(cells, max_size=8)))
    return "\n".join(",".join(row) for row in rows) + draw(st.sampled_from(["\n", "", "\r\n\ufeff"]))


@BOUNDED
@given(text=mutated_csv() | st.text(max_size=300))
def test_parsing_a_mutated_or_random_csv_answers_or_refuses(text: str) -> None:
    answers_or_refuses(lambda: parse_csv(text, fleet.EV))


SOH_JSON = json.loads(fleet.as_json(parse_csv("\n".join([HEADER, *ROWS]) + "\n", fleet.EV)))


@BOUNDED
@given(document=mutated(SOH_JSON) | json_values)
def test_parsing_mutated_or_random_json_readings_answers_or_refuses(document: Any) -> None:
    answers_or_refuses(lambda: parse_json(json.dumps(document), fleet.EV))


def _with_corrupt_deflate(content: bytes, member: str) -> bytes:
    """``content`` with the first byte of ``member``'s deflate stream set to 0xFF: a block of the reserved
    type 3 (RFC 1951 §3.2.3), which zlib refuses with "invalid block type"."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        info = book.getinfo(member)
    local_header = content[info.header_offset : info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(local_header[26:28], "little")
    start += int.from_bytes(local_header[28:30], "little")  # file name and extra field lengths
    return content[:start] + b"\xff" + content[start + 1 :]


def test_a_workbook_whose_sheet_does_not_inflate_is_refused_as_invalid_input() -> None:
    # Found by the fuzzing above: zlib.error escaped import_workbook as a 500 (sheets are read lazily).
    for member in ("xl/workbook.xml", "xl/worksheets/sheet4.xml"):
        broken = _with_corrupt_deflate(_workbook(), member)
        try:
            import_workbook(broken)
        except InvalidInput as refusal:
            assert "invalid block type" in refusal.detail, refusal.detail
        else:
            raise AssertionError(f"{member}: a workbook that does not inflate was imported")
