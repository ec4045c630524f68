"""IDTA-02035 in its AAS V3 form: each part as a Submodel (idShort, semanticId, submodelElements of the
templates' model types and value types), emitted from and read into the flat passport through the value-only
aspect form of ``aspect``. Pure module: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from battrace.passport.mapping.common import ImportResult
from battrace.passport.mapping.idta.aspect import PARTS, _get, _invalid, _part, from_idta, to_idta

# --- AAS V3 submodel form ----------------------------------------------------------------------------------

# Aspect property name -> the template's idShort where the two differ (IDTA-02035 templates, §4.3).
_AAS_NAMES = {
    "PcfCo2eq": "PcfCO2eq",
    "InitialInternalResistanceAtBatteryCellLevel": "InitialInternalResistanceOnBatteryCellLevel",
    "InitialInternalResistanceAtBatteryPackLevel": "InitialInternalResistanceOnBatteryPackLevel",
    "InitialInternalResistanceAtBatteryModuleLevel": "InitialInternalResistanceOnBatteryModuleLevel",
    "InternalResistanceIncreaseAtBatteryCellLevel": "InternalResistanceIncreaseOfBatteryCellLevel",
    "InternalResistanceIncreaseAtBatteryPackLevel": "InternalResistanceIncreaseOfBatteryPackLevel",
    "InternalResistanceIncreaseAtBatteryModuleLevel": "InternalResistanceIncreaseOfBatteryModuleLevel",
    "RatioNominalBatteryPowerAndBatteryEnergy": "RatioNorminalBatteryPowerAndBatteryEnergy",
    "atSoC": "atSoc",
    "CrateOfRelevantCycleLifeTest": "CRateOfRelevantCycleLifeTest",
    "RemainingPowerCapabilityValue": "RemainingPowerCapabilityDynamicAt",
}
_ASPECT_NAMES = {v: k for k, v in _AAS_NAMES.items()}

# The template's valueType where the JSON type does not tell it (else xs:string / xs:double / xs:boolean).
_VALUE_TYPES = {
    **dict.fromkeys(("DateOfManufacture", "DateOfPuttingIntoService", "IssueDate", "ExpiryDate"), "xs:date"),
    **dict.fromkeys(("LastUpdate", "RPCLastUpdated"), "xs:dateTime"),
    "URIOfTheProduct": "xs:anyURI",
    **dict.fromkeys(
        ("NumberOfFullCyclesValue", "ExpectedLifetimeInCalendarYears", "ExpectedNumberOfCycles"),
        "xs:unsignedInt",
    ),
    **dict.fromkeys(
        (
            "InitialRoundTripEnergyEfficiency",
            "RoundTripEnergyEfficiencyAt50PercentOfCycleLife",
            "InitialSelfDischargingRate",
        ),
        "xs:integer",
    ),
}
_INTEGER_TYPES = frozenset(
    {
        "xs:integer",
        "xs:int",
        "xs:long",
        "xs:short",
        "xs:unsignedInt",
        "xs:unsignedLong",
        "xs:nonNegativeInteger",
        "xs:positiveInteger",
        "xs:byte",
        "xs:unsignedShort",
    }
)
_DECIMAL_TYPES = frozenset({"xs:double", "xs:float", "xs:decimal"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")


def _is_text_in_languages(value: object) -> bool:
    """A multi-language text: [{lang: text}, ...] (aspect form) or {lang: text} (generated examples)."""
    entries = value if isinstance(value, list) else [value]
    return bool(entries) and all(
        isinstance(e, Mapping)
        and e
        and all(_LANGUAGE.match(str(k)) and isinstance(t, str) for k, t in e.items())
        for e in entries
    )


def _lexical(value: object, value_type: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) and value_type != "xs:integer" else str(value)


def _element(name: str | None, value: object) -> dict[str, object]:
    element: dict[str, object] = {"idShort": _AAS_NAMES.get(name, name)} if name is not None else {}
    if _is_text_in_languages(value):
        entries = value if isinstance(value, list) else [value]
        texts = [{"language": k, "text": t} for e in entries for k, t in e.items()]  # type: ignore[union-attr]
        return {**element, "modelType": "MultiLanguageProperty", "value": texts}
    if isinstance(value, Mapping) and "value" in value and set(value) <= {"value", "contentType"}:
        content_type = value.get("contentType", "application/octet-stream")  # AAS File requires one
        return {**element, "modelType": "File", "contentType": content_type, "value": value["value"]}
    if isinstance(value, Mapping):
        children = [_element(str(k), v) for k, v in value.items()]
        return {**element, "modelType": "SubmodelElementCollection", "value": children}
    if isinstance(value, list):
        return {**element, **_list_element(value)}
    value_type = _VALUE_TYPES.get(
        name or "",
        "xs:boolean" if isinstance(value, bool) else "xs:string" if isinstance(value, str) else "xs:double",
    )
    return {**element, "modelType": "Property", "valueType": value_type, "value": _lexical(value, value_type)}


def _list_element(value: list[object]) -> dict[str, object]:
    children = [_element(None, v) for v in value]
    kinds = {str(c["modelType"]) for c in children}
    # An empty list's element type is unknown; AASd-108 needs one: Property/xs:string (document identifiers).
    list_type = kinds.pop() if len(kinds) == 1 else "Property" if not kinds else "SubmodelElement"
    shape: dict[str, object] = {
        "modelType": "SubmodelElementList",
        "orderRelevant": True,
        "typeValueListElement": list_type,
        "value": children,
    }
    if list_type == "Property":
        types = {str(c["valueType"]) for c in children} or {"xs:string"}
        shape["valueTypeListElement"] = types.pop() if len(types) == 1 else "xs:string"
    return shape


def _reference(value: str) -> dict[str, object]:
    return {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": value}]}


def to_idta_submodel(
    values: Mapping[str, object], *, part: int, submodel_id: str, base: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The AAS V3 Submodel (JSON) of IDTA-02035 ``part`` holding our mapped attributes (see to_idta)."""
    spec = _part(part)
    if not isinstance(submodel_id, str) or not submodel_id.strip():
        raise _invalid("a submodel needs a non-empty id (an IRI or URN)", "idta_submodel_id")
    doc = to_idta(values, part=part, base=base)
    return {
        "modelType": "Submodel",
        "idShort": spec.id_short,
        "id": submodel_id,
        "kind": "Instance",
        "semanticId": _reference(spec.semantic_id),
        "submodelElements": [_element(k, v) for k, v in doc.items()],
    }


_ABSENT = object()


def _parse(element: Mapping[str, object], where: str) -> object:
    raw, value_type = element.get("value"), str(element.get("valueType", "xs:string"))
    if raw is None:
        return _ABSENT  # a template leaves the value out
    if not isinstance(raw, str):
        raise _invalid(f"{where}: an AAS Property value is a string, got {raw!r}", "aas_value")
    try:
        if value_type == "xs:boolean":
            if raw not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return raw in ("true", "1")
        if value_type in _INTEGER_TYPES:
            return int(raw)
        if value_type in _DECIMAL_TYPES:
            return float(raw)
    except ValueError:
        raise _invalid(f"{where}: {raw!r} is not a {value_type}", "aas_value") from None
    return raw


def _value(element: object, where: str) -> object:
    if not isinstance(element, Mapping):
        raise _invalid(f"{where}: a submodel element is a JSON object, got {element!r}", "aas_shape")
    kind, value = element.get("modelType"), element.get("value")
    if kind == "Property":
        return _parse(element, where)
    if kind == "MultiLanguageProperty":
        texts = value if isinstance(value, list) else []
        pairs = [{str(t.get("language")): t.get("text")} for t in texts if isinstance(t, Mapping)]
        return pairs or _ABSENT
    if kind == "File":
        if value is None:
            return _ABSENT
        return {
            "value": value,
            **({"contentType": element["contentType"]} if "contentType" in element else {}),
        }
    if kind in ("SubmodelElementCollection", "SubmodelElementList"):
        if not isinstance(value, list):
            return [] if kind == "SubmodelElementList" else {}
        if kind == "SubmodelElementList":
            items = [_value(child, f"{where}[{i}]") for i, child in enumerate(value)]
            return [item for item in items if item is not _ABSENT]
        return _children(value, where)
    raise _invalid(f"{where}: unsupported submodel element type {kind!r}", "aas_shape")


def _children(elements: list[object], where: str) -> dict[str, object]:
    result: dict[str, object] = {}
    for element in elements:
        name = element.get("idShort") if isinstance(element, Mapping) else None
        if not isinstance(name, str):
            raise _invalid(f"{where}: a submodel element needs an idShort, got {element!r}", "aas_shape")
        value = _value(element, f"{where}.{name}" if where else name)
        if value is not _ABSENT:
            result[_ASPECT_NAMES.get(name, name)] = value
    return result


def submodel_part(doc: object) -> int:
    """The IDTA-02035 part of an AAS V3 Submodel, found by its semanticId."""
    if not isinstance(doc, Mapping) or doc.get("modelType", "Submodel") != "Submodel":
        raise _invalid("an IDTA-02035 submodel is a JSON object with modelType Submodel", "aas_shape")
    found = _get(doc, "semanticId.keys[0].value")
    for spec in PARTS.values():
        if found is not None and found[1] == spec.semantic_id:
            return spec.number
    shown = found[1] if found else None
    raise _invalid(f"submodel semanticId {shown!r} is not one of the IDTA-02035 parts 1-7", "idta_part")


def submodel_values(doc: object) -> dict[str, object]:
    """The value-only form of an AAS V3 Submodel (template idShorts renamed to the aspect's names)."""
    part = submodel_part(doc)
    assert isinstance(doc, Mapping)
    elements = doc.get("submodelElements", [])
    if not isinstance(elements, list):
        raise _invalid(f"submodelElements of part {part} is a JSON array", "aas_shape")
    return _children(elements, "")


def from_idta_submodel(doc: object) -> ImportResult:
    """An AAS V3 Submodel of IDTA-02035 (part found by semanticId) -> our flat values, flags, unmapped."""
    return from_idta(submodel_part(doc), submodel_values(doc))
