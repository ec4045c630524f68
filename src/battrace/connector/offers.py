"""Provider side: which contract offers a caller may see (access policy) and which offer a request refers to.

Offer ids follow EDC's opaque form `b64(contractDefinitionId):b64(assetId):b64(nonce)` (research notes §2.3),
so any offer id a consumer echoes back names its contract definition and asset without server-side state.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from battrace.connector.processes import policy_context
from battrace.connector.records import Asset, ContractDefinition
from battrace.errors import InvalidInput, NotFound
from battrace.management import Criterion, matches
from battrace.policy import (
    Decision,
    EvaluationContext,
    LeftOperandRegistry,
    Policy,
    equivalent,
    evaluate,
    parse_policy,
)
from battrace.store import Tx

refusals = logging.getLogger("battrace.refused")

EDC_ID = "https://w3id.org/edc/v0.0.1/ns/id"
DenialSink = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class OfferedContract:
    offer_id: str
    asset: Asset
    definition: ContractDefinition
    policy: Policy


def make_offer_id(definition_id: str, asset_id: str, nonce: str | None = None) -> str:
    parts = (definition_id, asset_id, nonce or secrets.token_hex(8))
    return ":".join(base64.b64encode(part.encode()).decode() for part in parts)


def decode_offer_id(offer_id: str) -> tuple[str, str]:
    parts = offer_id.split(":")
    if len(parts) != 3:
        raise NotFound(f"unknown offer {offer_id!r}")
    try:
        definition_id, asset_id = (base64.b64decode(p, validate=True).decode() for p in parts[:2])
    except (binascii.Error, UnicodeDecodeError) as error:
        raise NotFound(f"unknown offer {offer_id!r}") from error
    return definition_id, asset_id


def asset_properties(asset: Asset) -> dict[str, Any]:
    return {EDC_ID: asset.id, "id": asset.id, **asset.properties}


def selects(definition: ContractDefinition, asset: Asset) -> bool:
    """EDC semantics: an empty assetsSelector selects every asset; criteria are ANDed."""
    properties = asset_properties(asset)
    return all(matches(_criterion(c), properties) for c in definition.assets_selector)


def _criterion(raw: Mapping[str, Any]) -> Criterion:
    return Criterion(
        operand_left=raw["operandLeft"], operator=raw["operator"], operand_right=raw.get("operandRight")
    )


class OfferBook:
    """Reads contract definitions and policies from one transaction; parses each policy once per book."""

    def __init__(self, tx: Tx, operands: LeftOperandRegistry, on_denied: DenialSink | None = None) -> None:
        self._tx = tx
        self._operands = operands
        self._on_denied = on_denied
        self._policies: dict[str, Policy] = {}

    def policy(self, policy_id: str) -> Policy:
        if policy_id not in self._policies:
            definition = self._tx.get_policy_definition(policy_id)
            if definition is None:
                raise NotFound(f"policy definition {policy_id!r} does not exist")
            self._policies[policy_id] = parse_policy(definition.policy)
        return self._policies[policy_id]

    def access_decision(self, definition: ContractDefinition, evaluation: EvaluationContext) -> Decision:
        return evaluate(self.policy(definition.access_policy_id), evaluation, registry=self._operands)

    def visible(
        self, evaluation: EvaluationContext, *, asset_id: str | None = None
    ) -> Iterator[OfferedContract]:
        """Offers whose access policy the caller satisfies (DSP 2025-1 §2: one catalog per requester)."""
        definitions = self._tx.list_contract_definitions(0, 10_000)
        assets = self._assets(asset_id)
        for definition in definitions:
            selected = [a for a in assets if selects(definition, a)]
            if not selected or not self._admits(definition, selected, evaluation):
                continue
            policy = self.policy(definition.contract_policy_id)
            for asset in selected:
                yield OfferedContract(make_offer_id(definition.id, asset.id), asset, definition, policy)

    def _admits(
        self, definition: ContractDefinition, assets: Sequence[Asset], evaluation: EvaluationContext
    ) -> bool:
        decision = self.access_decision(definition, evaluation)
        if not decision.allowed and self._on_denied is not None:
            # The caller only sees "nothing" (existence is not leaked); the operator sees why (issue 3 §7).
            self._on_denied(
                evaluation.participant_did,
                {
                    "scope": evaluation.scope,
                    "contractDefinition": definition.id,
                    "accessPolicy": definition.access_policy_id,
                    "assets": [a.id for a in assets],
                    "reasons": list(decision.reasons),
                },
            )
        return decision.allowed

    def _assets(self, asset_id: str | None) -> Sequence[Asset]:
        if asset_id is not None:
            asset = self._tx.get_asset(asset_id)
            return [asset] if asset else []
        return self._tx.list_assets(0, 100_000)

    def resolve(
        self, offer: Mapping[str, Any], context: Sequence[Any], evaluation: EvaluationContext
    ) -> tuple[OfferedContract, Policy, Decision]:
        """The offer a ContractRequestMessage refers to, the policy the consumer proposed, and the decision.

        DSP 2025-1 §3.2: an unknown offer id is an error. A caller who may not see the offer gets the same
        answer as for an unknown one, so existence is not leaked.
        """
        offer_id = str(offer.get("@id", ""))
        definition_id, asset_id = decode_offer_id(offer_id)
        target = offer.get("target")
        if target != asset_id:
            raise InvalidInput(f"offer target {target!r} does not match the offer's dataset {asset_id!r}")
        definition = self._tx.get_contract_definition(definition_id)
        asset = self._tx.get_asset(asset_id)
        if definition is None or asset is None or not selects(definition, asset):
            raise NotFound(f"unknown offer {offer_id!r}")
        if not self._admits(definition, [asset], evaluation):
            refusals.warning(
                "contract request refused: access policy of %r excludes %s",
                offer_id,
                evaluation.participant_did,
            )
            raise NotFound(f"unknown offer {offer_id!r}")
        proposed = parse_policy(offer, policy_context(context))
        contract = self.policy(definition.contract_policy_id)
        decision = evaluate(contract, evaluation, registry=self._operands)
        return OfferedContract(offer_id, asset, definition, contract), proposed, decision


def same_terms(proposed: Policy, offered: Policy) -> bool:
    """Soft equivalence (sig-release #735): order of `and` members or rules does not matter."""
    return equivalent(proposed, offered, ignore=("uid", "target", "assigner", "assignee"))
