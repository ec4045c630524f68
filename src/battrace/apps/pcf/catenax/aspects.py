"""The second aspect of a Catena-X PCF answer: the stage split as pcf_for_battery_component_supplier 1.0.0.

io.catenax.pcf 9.0.0 has no raw-material / production split, so a consumer granted ``stages`` gets it in this
aspect, sent as a second PUT of the same answer (`flow.SEMANTIC_ID_PARAM`). Here: what the provider declares
for it beyond a disclosure (`BatteryDeclaration`: the producing site, the part numbers), when it is sent
(`battery_payload`: only at ``stages`` or above), and what the consumer checks before it keeps one
(`check_answer`). Pure module: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from battrace.apps.pcf.catenax import model as cx
from battrace.apps.pcf.catenax.battery import (
    BatterySupplierInfo,
    PcfForBatteryComponentSupplier,
    to_battery_aspect,
)
from battrace.apps.pcf.catenax.convert import from_catenax
from battrace.apps.pcf.model import Disclosure, Granularity
from battrace.apps.pcf.pact.model import describe
from battrace.errors import InvalidInput


class BatteryDeclaration(BaseModel):
    """The provider's ``battery`` section of an exchange product declaration (camelCase on the wire)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    site_identifier: Annotated[str, Field(pattern=r"^BPNS[a-zA-Z0-9]{12}$")]  # BPNS of the producing site
    manufacturer_part_id: str | None = Field(default=None, min_length=1)  # default: the product id
    customer_part_id: str | None = Field(default=None, min_length=1)  # default: the manufacturer part id
    product_quality_parameters: tuple[str, ...] = ()
    content_co2_metals: tuple[str, ...] = ()
    performance_class: str | None = None
    study_link: str | None = None


def parse_declaration(value: Any) -> BatteryDeclaration:
    if not isinstance(value, Mapping):
        raise InvalidInput("battery must be an object {siteIdentifier, …}", reason="battery")
    try:
        return BatteryDeclaration.model_validate(value)
    except ValidationError as error:
        raise InvalidInput(f"not a valid battery declaration: {describe(error)}", reason="battery") from None


def sends_battery(granularity: Granularity) -> bool:
    """The aspect carries the stage split: only a consumer granted ``stages`` (or more) receives it."""
    return granularity.includes(Granularity.STAGES)


def battery_payload(
    disclosure: Disclosure,
    declaration: BatteryDeclaration | None,
    *,
    provider_bpn: str,
    valid_to: datetime,
) -> bytes | None:
    """The aspect's JSON for a disclosure cut for one consumer, or None when that consumer gets no stages.

    Built from the disclosure and the declaration alone (no clock), so a resent answer carries the same
    bytes. A missing declaration or a footprint the aspect cannot carry is refused before anything is sent."""
    if not sends_battery(disclosure.granularity):
        return None
    if declaration is None:
        raise InvalidInput(
            "this consumer is granted 'stages', which travel as pcf_for_battery_component_supplier: "
            "declare the product's battery.siteIdentifier (BPNS)",
            reason="battery",
        )
    part = declaration.manufacturer_part_id or disclosure.product_id
    info = BatterySupplierInfo(
        manufacturer_part_id=part,
        customer_part_id=declaration.customer_part_id or part,
        legal_identifier=provider_bpn,
        site_identifier=declaration.site_identifier,
        # PACT v3 (whose validity the Pcf header follows): the validity starts where the reference period ends
        valid_from=disclosure.reference_period_end,
        valid_to=valid_to,
        product_quality_parameters=declaration.product_quality_parameters,
        content_co2_metals=declaration.content_co2_metals,
        performance_class=declaration.performance_class,
        study_link=declaration.study_link,
    )
    aspect = to_battery_aspect(disclosure, info)
    return json.dumps(aspect.to_json(), separators=(",", ":"), ensure_ascii=False).encode()


def check_answer(aspect: PcfForBatteryComponentSupplier, pcf: cx.Pcf, provider_bpn: str) -> Disclosure:
    """The aspect belongs to the Pcf it answers with: it names the provider asked as its legal entity, and
    its declared unit and absolute value are the Pcf's (`from_catenax` refuses otherwise). Returns the
    received disclosure with the four stages and the representativeness ratings."""
    if aspect.legalidentifier != provider_bpn:
        raise InvalidInput(
            f"the battery aspect names {aspect.legalidentifier!r} as its legal entity, "
            f"not the provider {provider_bpn} that sent it",
            reason="legalidentifier",
        )
    return from_catenax(pcf, aspect)
