"""Battery passport (Regulation (EU) 2023/1542 Art. 77-78, Annex XIII): attribute catalogue, semantic checks
and battery identifiers."""

from battrace.passport.attributes import (
    ATTRIBUTES,
    AccessLevel,
    Attribute,
    Audience,
    BatteryCategory,
    Granularity,
    Requirement,
    ValueKind,
    attribute,
    attributes_for,
    mandatory_for,
    may_see,
)
from battrace.passport.checks import Problem, check_value, validate_passport
from battrace.passport.identifiers import Gtin, Sgtin, UniqueIdentifier
from battrace.passport.qr import passport_url, qr_png, qr_svg

__all__ = [
    "ATTRIBUTES",
    "AccessLevel",
    "Attribute",
    "Audience",
    "BatteryCategory",
    "Granularity",
    "Gtin",
    "Problem",
    "Requirement",
    "Sgtin",
    "UniqueIdentifier",
    "ValueKind",
    "attribute",
    "attributes_for",
    "check_value",
    "mandatory_for",
    "may_see",
    "passport_url",
    "qr_png",
    "qr_svg",
    "validate_passport",
]
