"""IDTA-02035 Digital Battery Passport, parts 1-7: the value-only aspect form (``aspect``) and the AAS V3
submodel form (``aas``), to and from the flat passport. See ``aspect`` for the mapping decisions."""

from battrace.passport.mapping.idta.aas import (
    from_idta_submodel,
    submodel_part,
    submodel_values,
    to_idta_submodel,
)
from battrace.passport.mapping.idta.aspect import (
    DOCUMENT_CLASSIFICATION_SYSTEM,
    DOCUMENT_DOMAIN,
    ENVELOPE,
    MAPPED_KEYS,
    MAPPED_KEYS_BY_PART,
    NOT_MAPPED,
    PARTS,
    RULES,
    Part,
    Rule,
    from_idta,
    stage_share,
    stage_value,
    to_idta,
)

__all__ = [
    "DOCUMENT_CLASSIFICATION_SYSTEM",
    "DOCUMENT_DOMAIN",
    "ENVELOPE",
    "MAPPED_KEYS",
    "MAPPED_KEYS_BY_PART",
    "NOT_MAPPED",
    "PARTS",
    "RULES",
    "Part",
    "Rule",
    "from_idta",
    "from_idta_submodel",
    "stage_share",
    "stage_value",
    "submodel_part",
    "submodel_values",
    "to_idta",
    "to_idta_submodel",
]
