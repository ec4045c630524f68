"""What leaves the company: a footprint cut to the granularity granted to one recipient (issue 6 item 2).

Only totals leave by default. The digests of the inputs are disclosed only with the own/purchased split:
a recipient holding the same signed supplier payload could match its hash and so learn who the supplier is,
which is exactly what a total-only disclosure must not reveal.
Pure module: no I/O. ``sign_footprint`` signs the full result for the node's own records and auditors.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from battrace.apps.pcf.model import Disclosure, Footprint, Granularity, canonical_bytes
from battrace.errors import InvalidInput
from battrace.identity import NodeKeys
from battrace.provenance import Provenance, derive, sha256_hex

METHOD = "battrace.apps.pcf rollup: own activity x factors + sum(amount x supplier total), kg CO2e"

# the fields each level adds to the one before (Granularity.includes makes the levels cumulative)
_FIELDS: dict[Granularity, tuple[str, ...]] = {
    Granularity.TOTAL: (),
    Granularity.DATA_QUALITY: (
        "dqr",
        "dqr_coverage",
        "pact_dqi",
        "pact_dqi_coverage",
        "primary_data_share",
        "factor_sources",
    ),
    Granularity.STAGES: ("stages",),
    Granularity.OWN_SPLIT: ("own", "purchased", "inputs"),
}
_ALWAYS = ("product_id", "declared_unit", "total", "reference_period_start", "reference_period_end")


def disclose(footprint: Footprint, granularity: Granularity) -> Disclosure:
    granted = [name for level, names in _FIELDS.items() if granularity.includes(level) for name in names]
    values = {name: getattr(footprint, name) for name in (*_ALWAYS, *granted)}
    # every value comes from a validated Footprint with the same field types: no need to validate again
    return Disclosure.model_construct(granularity=granularity, **values)


def canonical_json(model: Footprint | Disclosure) -> bytes:
    """RFC 8785 canonical JSON (decimals as PACT decimal strings): the bytes that are hashed and signed."""
    return canonical_bytes(model.model_dump(mode="json", exclude_none=True))


def digest(model: Footprint | Disclosure) -> str:
    return sha256_hex(canonical_json(model))


def parse_disclosure(payload: bytes) -> Disclosure:
    """A disclosure as received from a supplier; refuses unknown fields and fields beyond its granularity."""
    try:
        disclosure = Disclosure.model_validate_json(payload)
    except ValidationError as error:
        raise InvalidInput(f"not a carbon-footprint disclosure: {error.errors(include_url=False)}") from None
    extra = [
        name
        for name in Disclosure.model_fields
        if getattr(disclosure, name) is not None and not _granted(disclosure.granularity, name)
    ]
    if extra:
        raise InvalidInput(f"disclosure at granularity {disclosure.granularity} carries {sorted(extra)}")
    return disclosure


def _granted(granularity: Granularity, name: str) -> bool:
    if name in _ALWAYS or name == "granularity":
        return True
    return any(name in names and granularity.includes(level) for level, names in _FIELDS.items())


def sign_footprint(footprint: Footprint, *, keys: NodeKeys, signer_did: str, now: datetime) -> Provenance:
    """A signed derivation statement: this result (its canonical JSON) was computed from these inputs."""
    return derive(
        canonical_json(footprint), footprint.inputs, keys=keys, signer_did=signer_did, method=METHOD, now=now
    )
