"""Company identifiers carried as typed claims: Japanese corporate number, Catena-X BPN, GS1 GLN.

Each is a frozen value that can only exist when valid; construction raises InvalidInput naming the rule
broken.
Pure module: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from battrace.errors import InvalidInput

_DIGITS_13 = re.compile(r"^[0-9]{13}$")
# Catena-X BPN: "BPN" + L (legal entity) / S (site) / A (address) + 12 upper-case alphanumerics
# (tractusx-profiles cx/policy, BPDM "BPNL00000003AYRE"); the last two are an ISO 7064 check pair that test
# data rarely honours, so only the shape is enforced.
_BPN = re.compile(r"^BPN[LSA][0-9A-Z]{12}$")
_BPN_KINDS = {"L": "legal_entity", "S": "site", "A": "address"}


def corporate_number_check_digit(base: str) -> int:
    """The check digit of a 12-digit 法人番号 base (NTA, 法人番号の指定等に関する省令 第2条).

    check = 9 - (Σ P_n × Q_n mod 9), P_n = n-th digit counted from the right of the base,
    Q_n = 1 for odd n, 2 for even n.
    """
    if not re.fullmatch(r"[0-9]{12}", base):
        raise InvalidInput(f"a corporate number base is 12 digits, got {base!r}")
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return 9 - total % 9


def gln_check_digit(base: str) -> int:
    """The GS1 mod-10 check digit of a 12-digit GLN base (GS1 General Specifications §7.9.1): weights 3, 1,
    3, ... from the rightmost digit of the base."""
    if not re.fullmatch(r"[0-9]{12}", base):
        raise InvalidInput(f"a GLN base is 12 digits, got {base!r}")
    total = sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(reversed(base), start=1))
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class CorporateNumber:
    """法人番号: 13 digits, the FIRST digit is the check digit over the other 12."""

    value: str
    scheme: ClassVar[str] = "CorporateNumber"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _DIGITS_13.match(self.value):
            raise InvalidInput(
                f"corporate number must be 13 ASCII digits, got {self.value!r}",
                reason="corporate_number_format",
            )
        expected = corporate_number_check_digit(self.value[1:])
        if int(self.value[0]) != expected:
            raise InvalidInput(
                f"corporate number {self.value} has check digit {self.value[0]}, expected {expected}",
                reason="corporate_number_check_digit",
            )


@dataclass(frozen=True)
class Bpn:
    """Catena-X Business Partner Number (BPNL legal entity, BPNS site, BPNA address)."""

    value: str
    scheme: ClassVar[str] = "BPN"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _BPN.match(self.value):
            raise InvalidInput(
                f"BPN must be BPNL/BPNS/BPNA followed by 12 upper-case letters or digits, got {self.value!r}",
                reason="bpn_format",
            )

    @property
    def kind(self) -> str:
        return _BPN_KINDS[self.value[3]]


@dataclass(frozen=True)
class Gln:
    """GS1 Global Location Number: 13 digits, the LAST digit is the mod-10 check digit."""

    value: str
    scheme: ClassVar[str] = "GLN"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _DIGITS_13.match(self.value):
            raise InvalidInput(f"GLN must be 13 ASCII digits, got {self.value!r}", reason="gln_format")
        expected = gln_check_digit(self.value[:12])
        if int(self.value[12]) != expected:
            raise InvalidInput(
                f"GLN {self.value} has check digit {self.value[12]}, expected {expected}",
                reason="gln_check_digit",
            )


CompanyIdentifier = CorporateNumber | Bpn | Gln
_SCHEMES: dict[str, type[CorporateNumber] | type[Bpn] | type[Gln]] = {
    CorporateNumber.scheme: CorporateNumber,
    Bpn.scheme: Bpn,
    Gln.scheme: Gln,
}


def parse_identifier(scheme: str, value: str) -> CompanyIdentifier:
    """A validated identifier of the named scheme (``CorporateNumber``, ``BPN``, ``GLN``)."""
    kind = _SCHEMES.get(scheme)
    if kind is None:
        raise InvalidInput(f"unknown identifier scheme {scheme!r}, expected one of {sorted(_SCHEMES)}")
    return kind(value)


def identifier_claim(identifier: CompanyIdentifier) -> dict[str, str]:
    """The JSON claim form of an identifier: ``{"type": "<scheme>", "value": "<value>"}``."""
    return {"type": identifier.scheme, "value": identifier.value}


def identifier_from_claim(claim: Mapping[str, Any]) -> CompanyIdentifier:
    scheme, value = claim.get("type"), claim.get("value")
    if not isinstance(scheme, str) or not isinstance(value, str):
        raise InvalidInput(f"an identifier claim needs string 'type' and 'value', got {dict(claim)!r}")
    return parse_identifier(scheme, value)
