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
from battrace.passport.lifecycle import DynamicValue, PassportEvent, PassportHistory, PassportState
from battrace.passport.qr import passport_url, qr_png, qr_svg
from battrace.passport.views import PassportView, audiences_from_claims, view_for, view_for_audiences

__all__ = [
    "ATTRIBUTES",
    "AccessLevel",
    "Attribute",
    "Audience",
    "BatteryCategory",
    "DynamicValue",
    "Granularity",
    "Gtin",
    "PassportEvent",
    "PassportHistory",
    "PassportState",
    "PassportView",
    "Problem",
    "Requirement",
    "Sgtin",
    "UniqueIdentifier",
    "ValueKind",
    "attribute",
    "attributes_for",
    "audiences_from_claims",
    "check_value",
    "mandatory_for",
    "may_see",
    "passport_url",
    "qr_png",
    "qr_svg",
    "validate_passport",
    "view_for",
    "view_for_audiences",
]
