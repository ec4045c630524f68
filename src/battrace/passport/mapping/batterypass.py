"""Mapping between our flat passport values and the Battery Pass consortium data model.

Model: Battery Pass data model **1.2.0** (github.com/batterypass/BatteryPassDataModel, SAMM 2.1.0, aligned to
DIN DKE SPEC 99100:2025-02), aspects ``urn:samm:io.BatteryPass.Circularity:1.2.0#Circularity`` and
``urn:samm:io.BatteryPass.SupplyChainDueDiligence:1.2.0#SupplyChainDueDiligence`` (property names keep the
model's spelling: ``thirdPartyAussurances``, ``supplyChainIndicies``).
Notes: shared/research/battery-passport.md §4.1, §4.4, §4.5.

Our side is the flat representation of :mod:`battrace.passport.attributes` / :mod:`battrace.passport.checks`
(percentages 0-100 as a number or ``{"value": n, "unit": "%"}``, documents as link strings).

Rules:

* Export (``to_batterypass_circularity``) raises :class:`InvalidInput` when a value cannot be represented
  (``attribute`` names it) and when a field the aspect requires has no source value (``missing`` names our
  attribute keys). Nothing is invented.
* ``sparePartSources`` and ``dismantlingAndRemovalInformation`` are required arrays of structured entries
  (supplier address, e-mail, MIME type...) that our catalogue does not hold (``spare_part_sources`` is free
  text, ``dismantling_information`` a single link): they are emitted empty and are not exported
  (:data:`NOT_EXPORTED`); on import their content is reported in ``ImportResult.unmapped``.
* Import (``from_batterypass``) takes what maps; a schema-valid but semantically wrong value (a percentage
  outside 0-100, pre- plus post-consumer share above 100 %, a duplicated material, a document link that is not
  an http(s) URL) is reported as a :class:`Flag` naming the document path and is not imported. Every leaf of
  the document is either imported, flagged or listed as unmapped: nothing is dropped silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from battrace.errors import InvalidInput
from battrace.passport.checks import check_value
from battrace.passport.mapping.common import Flag, ImportResult

MODEL_VERSION = "1.2.0"
CIRCULARITY = "Circularity"
CIRCULARITY_URN = f"urn:samm:io.BatteryPass.Circularity:{MODEL_VERSION}#Circularity"
SUPPLY_CHAIN = "SupplyChainDueDiligence"
SUPPLY_CHAIN_URN = f"urn:samm:io.BatteryPass.SupplyChainDueDiligence:{MODEL_VERSION}#SupplyChainDueDiligence"

# Annex XIII 1(e) / Art. 8(1) metals as the Battery Pass ``RecycledMaterial`` enum spells them.
_METALS = {"Nickel": "nickel", "Cobalt": "cobalt", "Lithium": "lithium", "Lead": "lead"}

# Our attributes the Circularity aspect cannot carry (see module docstring).
NOT_EXPORTED = ("spare_part_sources", "dismantling_information")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_WEB = re.compile(r"^https?://\S+$", re.IGNORECASE)
_SEGMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9]+)(?:\[(?P<sel_key>[A-Za-z0-9]+)=(?P<sel_value>[A-Za-z0-9]+)\])?$"
)


@dataclass(frozen=True)
class Rule:
    """One row of the mapping table: our key <-> Battery Pass path, with the value converters."""

    key: str
    path: str  # dotted path; "list[field=Value]" selects the list entry whose field equals Value
    kind: str  # "percentage" | "link" | "text_list" | "link_list" | "number_text"


# Mapping table, Battery Pass 1.2.0 Circularity aspect (paths from Circularity-schema.json).
CIRCULARITY_RULES: tuple[Rule, ...] = (
    Rule("renewable_content_share", "renewableContent", "percentage"),
    *(
        Rule(
            f"{stage}_consumer_recycled_{ours}_share",
            f"recycledContent[recycledMaterial={bp}].{stage}ConsumerShare",
            "percentage",
        )
        for bp, ours in _METALS.items()
        for stage in ("pre", "post")
    ),
    Rule("safety_measures", "safetyMeasures.safetyInstructions", "link"),
    Rule("extinguishing_agent", "safetyMeasures.extinguishingAgent", "text_list"),
    Rule("end_user_waste_prevention", "endOfLifeInformation.wastePrevention", "link"),
    Rule("end_user_separate_collection", "endOfLifeInformation.separateCollection", "link"),
    Rule("collection_second_life_treatment", "endOfLifeInformation.informationOnCollection", "link"),
)  # fmt: skip

# Required groups: a group is emitted only when all of its keys are known (the schema requires every field).
_REQUIRED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("renewable_content_share",),
    ("safety_measures", "extinguishing_agent"),
    ("end_user_waste_prevention", "end_user_separate_collection", "collection_second_life_treatment"),
)
_OPTIONAL_PAIRS = tuple(
    (f"pre_consumer_recycled_{ours}_share", f"post_consumer_recycled_{ours}_share")
    for ours in _METALS.values()
)
_TEXT_LIST_SEPARATOR = "; "

# Mapping table, Battery Pass 1.2.0 SupplyChainDueDiligence aspect (SupplyChainDueDiligence-schema.json).
# Our third_party_assurances is a list; the model holds one URI: exactly one link is representable.
# Our supply_chain_indices is text; the model holds a number: only a numeric text is representable.
SUPPLY_CHAIN_RULES: tuple[Rule, ...] = (
    Rule("due_diligence_report", "supplyChainDueDiligenceReport", "link"),
    Rule("third_party_assurances", "thirdPartyAussurances", "link_list"),
    Rule("supply_chain_indices", "supplyChainIndicies", "number_text"),
)
_SUPPLY_CHAIN_REQUIRED = ("due_diligence_report",)


def _invalid(key: str, message: str) -> InvalidInput:
    return InvalidInput(f"{key}: {message}", reason="batterypass_unrepresentable", attribute=key)


# --- export -------------------------------------------------------------------------------------------


def _export_value(rule: Rule, value: object) -> object:
    check_value(rule.key, value)
    if rule.kind == "percentage":
        number = value.get("value") if isinstance(value, Mapping) else value
        assert isinstance(number, int | float)  # check_value guarantees it
        return number
    if rule.kind == "link_list":
        assert isinstance(value, list)
        if len(value) != 1 or not _URI.match(value[0]):
            raise _invalid(rule.key, f"the Battery Pass model holds exactly one URI here, got {value!r}")
        return value[0]
    assert isinstance(value, str)
    if rule.kind == "number_text":
        try:
            number = float(value)
        except ValueError:
            raise _invalid(rule.key, f"the Battery Pass model holds a number here, got {value!r}") from None
        if not math.isfinite(number):
            raise _invalid(rule.key, f"the Battery Pass model holds a finite number here, got {value!r}")
        return number
    if rule.kind == "link":
        if not _URI.match(value):
            raise _invalid(rule.key, f"the Battery Pass model wants a URI here, got {value!r}")
        return value
    # text_list: our single text becomes the list; the list form is split on the same separator on import
    return [part for part in (p.strip() for p in value.split(_TEXT_LIST_SEPARATOR)) if part]


def _put(doc: dict[str, object], path: str, value: object) -> None:
    target = doc
    segments = path.split(".")
    for index, segment in enumerate(segments):
        match = _SEGMENT.match(segment)
        assert match is not None, path
        name, last = match["name"], index == len(segments) - 1
        if match["sel_key"] is not None:
            entries = target.setdefault(name, [])
            assert isinstance(entries, list)
            entry = next((e for e in entries if e.get(match["sel_key"]) == match["sel_value"]), None)
            if entry is None:
                entry = {match["sel_key"]: match["sel_value"]}
                entries.append(entry)
            target = entry
        elif last:
            target[name] = value
        else:
            child = target.setdefault(name, {})
            assert isinstance(child, dict)
            target = child


def to_batterypass_circularity(values: Mapping[str, object]) -> dict[str, object]:
    """Our values -> a Battery Pass 1.2.0 ``Circularity`` document (valid against Circularity-schema.json)."""
    missing = [key for group in _REQUIRED_GROUPS for key in group if values.get(key) is None]
    for pair in _OPTIONAL_PAIRS:  # recycled content is optional per metal, but each entry needs pre and post
        known = [key for key in pair if values.get(key) is not None]
        if len(known) == 1:
            missing.extend(key for key in pair if key not in known)
    if missing:
        raise InvalidInput(
            f"Battery Pass {CIRCULARITY} {MODEL_VERSION} requires values for: {', '.join(missing)}",
            reason="batterypass_missing",
            missing=missing,
        )
    doc: dict[str, object] = {
        "dismantlingAndRemovalInformation": [],
        "sparePartSources": [],
        "recycledContent": [],
    }
    for rule in CIRCULARITY_RULES:
        value = values.get(rule.key)
        if value is not None:
            _put(doc, rule.path, _export_value(rule, value))
    return doc


# --- import -------------------------------------------------------------------------------------------


def _leaves(node: object, prefix: str) -> list[str]:
    if isinstance(node, Mapping):
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(node, list) and node and not all(isinstance(x, str) for x in node):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, f"{prefix}[{i}]")]
    return [prefix]


def _get(doc: Mapping[str, object], path: str) -> tuple[str, object] | None:
    """(concrete path, value) for a rule path, or None when absent."""
    node: object = doc
    concrete: list[str] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        assert match is not None, path
        if not isinstance(node, Mapping) or match["name"] not in node:
            return None
        node = node[match["name"]]
        concrete.append(match["name"])
        if match["sel_key"] is not None:
            if not isinstance(node, list):
                return None
            hits = [
                i for i, e in enumerate(node)
                if isinstance(e, Mapping) and e.get(match["sel_key"]) == match["sel_value"]
            ]  # fmt: skip
            if not hits:
                return None
            concrete[-1] += f"[{hits[0]}]"
            node = node[hits[0]]
    return ".".join(concrete), node


def _import_value(rule: Rule, path: str, value: object) -> tuple[object, Flag | None]:
    if rule.kind == "percentage":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
        return value, None if ok else Flag(path, rule.key, "percentage_range", value)
    if rule.kind in ("link", "link_list"):
        ok = isinstance(value, str) and bool(_WEB.match(value))
        imported = [value] if rule.kind == "link_list" else value
        return imported, None if ok else Flag(path, rule.key, "document_link_not_web", value)
    if rule.kind == "number_text":
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return repr(float(value)), None
        return value, Flag(path, rule.key, "kind_number", value)
    ok = isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)
    if not ok:
        return value, Flag(path, rule.key, "text_list", value)
    assert isinstance(value, list)
    return _TEXT_LIST_SEPARATOR.join(v.strip() for v in value), None


def _recycled_content_flags(doc: Mapping[str, object]) -> list[Flag]:
    entries = doc.get("recycledContent")
    flags: list[Flag] = []
    seen: set[object] = set()
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, Mapping):
            continue
        material = entry.get("recycledMaterial")
        ours = _METALS.get(str(material), str(material))
        if material in seen:
            flags.append(
                Flag(f"recycledContent[{index}]", f"recycled_{ours}", "duplicate_material", material)
            )
            continue
        seen.add(material)
        pre, post = entry.get("preConsumerShare"), entry.get("postConsumerShare")
        if isinstance(pre, int | float) and isinstance(post, int | float) and pre + post > 100:
            for stage, value in (("pre", pre), ("post", post)):
                flags.append(
                    Flag(
                        f"recycledContent[{index}].{stage}ConsumerShare",
                        f"{stage}_consumer_recycled_{ours}_share",
                        "recycled_shares_exceed_100",
                        value,
                    )
                )
    return flags


def _from_circularity(doc: Mapping[str, object]) -> ImportResult:
    flags = _recycled_content_flags(doc)
    flagged = {flag.path for flag in flags}
    consumed: set[str] = set()
    values: dict[str, object] = {}
    for rule in CIRCULARITY_RULES:
        found = _get(doc, rule.path)
        if found is None:
            continue
        path, raw = found
        consumed.add(path)
        if "[" in path:  # the selector field of the list entry is consumed with the value
            consumed.add(path.rsplit(".", 1)[0] + ".recycledMaterial")
        if path in flagged:
            continue
        value, flag = _import_value(rule, path, raw)
        if flag is not None:
            flags.append(flag)
            flagged.add(path)
        else:
            values[rule.key] = value
    duplicate_prefixes = tuple(f.path + "." for f in flags if f.reason == "duplicate_material")
    unmapped = tuple(
        leaf
        for leaf in _leaves(doc, "")
        if leaf not in consumed and leaf not in flagged and not leaf.startswith(duplicate_prefixes)
        and leaf not in {"dismantlingAndRemovalInformation", "sparePartSources", "recycledContent"}
    )  # fmt: skip
    return ImportResult(CIRCULARITY, values, tuple(flags), unmapped)


def to_batterypass_supply_chain_due_diligence(values: Mapping[str, object]) -> dict[str, object]:
    """Our values -> a Battery Pass 1.2.0 ``SupplyChainDueDiligence`` document."""
    missing = [key for key in _SUPPLY_CHAIN_REQUIRED if values.get(key) is None]
    if missing:
        raise InvalidInput(
            f"Battery Pass {SUPPLY_CHAIN} {MODEL_VERSION} requires values for: {', '.join(missing)}",
            reason="batterypass_missing",
            missing=missing,
        )
    doc: dict[str, object] = {}
    for rule in SUPPLY_CHAIN_RULES:
        value = values.get(rule.key)
        if value is not None:
            _put(doc, rule.path, _export_value(rule, value))
    return doc


def _from_supply_chain(doc: Mapping[str, object]) -> ImportResult:
    values: dict[str, object] = {}
    flags: list[Flag] = []
    consumed: set[str] = set()
    for rule in SUPPLY_CHAIN_RULES:
        found = _get(doc, rule.path)
        if found is None:
            continue
        path, raw = found
        consumed.add(path)
        value, flag = _import_value(rule, path, raw)
        if flag is not None:
            flags.append(flag)
        else:
            values[rule.key] = value
    unmapped = tuple(leaf for leaf in _leaves(doc, "") if leaf and leaf not in consumed)
    return ImportResult(SUPPLY_CHAIN, values, tuple(flags), unmapped)


_IMPORTERS: dict[str, Callable[[Mapping[str, object]], ImportResult]] = {
    CIRCULARITY: _from_circularity,
    SUPPLY_CHAIN: _from_supply_chain,
}


def from_batterypass(aspect_name: str, doc: object) -> ImportResult:
    """A Battery Pass 1.2.0 aspect document -> our flat values, flags and unmapped leaves.

    ``doc`` is expected to be schema-valid (validate it first); this adds the semantic checks.
    """
    importer = _IMPORTERS.get(aspect_name)
    if importer is None:
        raise InvalidInput(
            f"unsupported Battery Pass aspect {aspect_name!r}; supported: {sorted(_IMPORTERS)}",
            reason="batterypass_aspect",
        )
    if not isinstance(doc, Mapping):
        raise InvalidInput(
            f"a Battery Pass {aspect_name} document is a JSON object", reason="batterypass_shape"
        )
    return importer(doc)
