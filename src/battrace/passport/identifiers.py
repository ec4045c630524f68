"""Typed battery identifiers: GS1 GTIN + serial (SGTIN) with its GS1 Digital Link URI, and the shape of an
ISO/IEC 15459 unique identifier.

Annex VI Part A(2) and Art. 77(3) require a unique identifier per battery; the Regulation does not fix the
scheme, so both common ones are offered. Operators and manufacturers are identified with
battrace.trust.identifiers (CorporateNumber, Bpn, Gln), re-exported here as ``CompanyIdentifier``.
Pure module: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from battrace.errors import InvalidInput
from battrace.trust.identifiers import CompanyIdentifier, identifier_from_claim

__all__ = [
    "CompanyIdentifier",
    "Gtin",
    "Sgtin",
    "UniqueIdentifier",
    "gs1_check_digit",
    "identifier_from_claim",
    "sgtin_from_element_string",
]

_GTIN_LENGTHS = (8, 12, 13, 14)
# GS1 General Specifications §7.11 (AI 21): up to 20 characters of the AI encodable set 82.
_SERIAL = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
# ISO/IEC 15459-2/-4: issuing agency code (IAC, 1-3 characters, assigned by the registration authority),
# company identification number (CIN) and serial; upper-case letters, digits, '-' and '.', at most 50 in all.
_IAC = re.compile(r"^[0-9A-Z]{1,3}$")
_UI_PART = re.compile(r"^[0-9A-Z\-.]+$")
_UI_MAX = 50


def gs1_check_digit(base: str) -> int:
    """GS1 mod-10 check digit of any GS1 key base (General Specifications §7.9.1): weights 3, 1, 3, ... from
    the rightmost digit of the base."""
    if not base.isascii() or not base.isdigit():
        raise InvalidInput(f"a GS1 key base is ASCII digits, got {base!r}", reason="gs1_format")
    total = sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(reversed(base), start=1))
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class Gtin:
    """GS1 Global Trade Item Number: GTIN-8, -12, -13 or -14, the last digit the mod-10 check digit."""

    value: str

    def __post_init__(self) -> None:
        v = self.value
        if not isinstance(v, str) or not v.isascii() or not v.isdigit() or len(v) not in _GTIN_LENGTHS:
            raise InvalidInput(f"GTIN must be 8, 12, 13 or 14 ASCII digits, got {v!r}", reason="gtin_format")
        expected = gs1_check_digit(v[:-1])
        if int(v[-1]) != expected:
            raise InvalidInput(
                f"GTIN {v} has check digit {v[-1]}, expected {expected}", reason="gtin_check_digit"
            )

    @property
    def gtin14(self) -> str:
        """The 14-digit form: leading zeros do not change the check digit (weights align from the right)."""
        return self.value.zfill(14)


@dataclass(frozen=True)
class Sgtin:
    """Serialised GTIN: a GTIN plus a serial number (AI 01 + AI 21) naming one battery."""

    gtin: Gtin
    serial: str

    def __post_init__(self) -> None:
        if not isinstance(self.serial, str) or not _SERIAL.match(self.serial):
            raise InvalidInput(
                f"serial must be 1-20 characters of GS1 set 82, got {self.serial!r}", reason="sgtin_serial"
            )

    def digital_link(self, resolver: str = "https://id.example") -> str:
        """GS1 Digital Link URI; the serial is percent-encoded except RFC 3986 unreserved characters
        (GS1 Digital Link 1.2 §6: characters outside the unreserved set MUST be percent-encoded)."""
        return f"{resolver.rstrip('/')}/01/{self.gtin.gtin14}/21/{quote(self.serial, safe='')}"


@dataclass(frozen=True)
class UniqueIdentifier:
    """ISO/IEC 15459 unique identifier: issuing agency code + company identification + serial (shape only:
    the IAC is not checked against the registration authority's list)."""

    issuing_agency: str
    company: str
    serial: str

    def __post_init__(self) -> None:
        if not _IAC.match(self.issuing_agency):
            raise InvalidInput(
                f"issuing agency code must be 1-3 upper-case letters or digits, got {self.issuing_agency!r}",
                reason="iso15459_iac",
            )
        for label, part in (("company", self.company), ("serial", self.serial)):
            if not _UI_PART.match(part):
                raise InvalidInput(
                    f"ISO/IEC 15459 {label} must be upper-case letters, digits, '-' or '.', got {part!r}",
                    reason="iso15459_format",
                )
        if len(str(self)) > _UI_MAX:
            raise InvalidInput(
                f"ISO/IEC 15459 identifier {self} is longer than {_UI_MAX} characters",
                reason="iso15459_length",
            )

    def __str__(self) -> str:
        return f"{self.issuing_agency}{self.company}{self.serial}"


_ELEMENT_STRING = re.compile(r"^\(01\)(?P<gtin>[0-9]{14})\(21\)(?P<serial>.{1,20})$")


def sgtin_from_element_string(text: str) -> Sgtin | None:
    """The SGTIN written as a GS1 element string ``(01)<GTIN-14>(21)<serial>`` (the human-readable form of
    GS1 General Specifications §3.2), or None when ``text`` is not one; a bad GTIN raises InvalidInput."""
    match = _ELEMENT_STRING.match(text)
    if match is None:
        return None
    return Sgtin(Gtin(match["gtin"]), match["serial"])
