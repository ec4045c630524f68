"""The battrace extension of contract definitions: ``contractTemplate`` and ``contractParameters``.

Both are in the EDC vocabulary like the other fields. The parameters arrive JSON-LD-expanded, and JSON-LD
does not tell ``["a"]`` from ``"a"``, so array parameters are restored from the template's declaration
before validation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from battrace.contracts import Parties, Party, render_contract, template_parameters
from battrace.errors import InvalidInput, NotFound
from battrace.management import _ld
from battrace.management._ld import Node, edc

# A trial rendering needs parties and an agreement; the real ones are only known at agreement time.
_TRIAL_PARTIES = Parties(
    Party("Trial provider", "did:web:provider.invalid"), Party("Trial consumer", "did:web:consumer.invalid")
)
_TRIAL_AGREEMENT = "urn:uuid:00000000-0000-4000-8000-000000000000"


def contract_template_of(node: Node) -> tuple[str | None, dict[str, Any] | None]:
    """(template id, parameters) of a contract definition node; (None, None) when it names no template."""
    template = _ld.string(node, edc("contractTemplate"), "contractTemplate")
    raw = _ld.child(node, edc("contractParameters"), "contractParameters")
    if template is None:
        if raw is not None:
            raise InvalidInput("contractParameters needs a contractTemplate")
        return None, None
    try:
        schema = template_parameters(template)
    except NotFound:
        raise InvalidInput(f"contractTemplate: no contract template {template!r}") from None
    parameters = _parameters(raw, schema)
    check_contract_parameters(template, parameters)
    return template, parameters


def check_contract_parameters(template: str, parameters: dict[str, Any]) -> None:
    """Render once with placeholder parties: every error names the parameter (``extra["parameter"]``)."""
    try:
        render_contract(
            template,
            parameters,
            parties=_TRIAL_PARTIES,
            agreement_id=_TRIAL_AGREEMENT,
            effective=date(2000, 1, 1),
        )
    except NotFound as error:
        raise InvalidInput(f"contractTemplate: {error.detail}") from error
    except InvalidInput as error:
        raise InvalidInput(f"contractParameters: {error.detail}", **error.extra) from error


def _parameters(raw: Node | None, schema: dict[str, Any]) -> dict[str, Any]:
    if raw is None:
        return {}
    values = _ld.edc_short_node(raw)
    properties: dict[str, Any] = schema.get("properties", {})
    for name, value in values.items():
        if properties.get(name, {}).get("type") == "array" and not isinstance(value, list):
            values[name] = [value]  # one array item expands to a bare value
    return values
