"""The example inputs shipped with every contract template (``examples/<template id>.json``).

They document what a complete set of parameters looks like, feed the demo, and are rendered by the tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from types import MappingProxyType
from typing import Any

from battrace.contracts.render import Parties, Party
from battrace.errors import NotFound


@dataclass(frozen=True)
class ContractExample:
    template_id: str
    parameters: Mapping[str, Any]
    parties: Parties
    agreement_id: str
    effective: date


def load_example(template_id: str) -> ContractExample:
    """The shipped example for ``template_id``: ``render_contract(e.template_id, e.parameters, ...)``."""
    entry = resources.files("battrace.contracts").joinpath("examples", f"{template_id}.json")
    if "/" in template_id or not entry.is_file():
        raise NotFound(f"no example for contract template {template_id!r}")
    raw = json.loads(entry.read_text("utf-8"))
    return ContractExample(
        template_id=raw["template"],
        parameters=MappingProxyType(raw["parameters"]),
        parties=Parties(Party(**raw["parties"]["provider"]), Party(**raw["parties"]["consumer"])),
        agreement_id=raw["agreement_id"],
        effective=date.fromisoformat(raw["effective"]),
    )
