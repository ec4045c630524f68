"""Contracts rendered from templates and bound into agreements (BASC digital scheme §5.1 ⑦, issue 4 item 7).

Provider, at agreement: a contract definition naming a template has its contract rendered for the two
parties, its hash added (``and``) to every permission of the agreement policy — so the consumer verifies it as
part of the agreement — and signed by the provider; all in the agreement's transaction.

Consumer, after verifying the agreement: an outbox message (``ContractSign``) fetches the text from the
provider, checks it against the hash in the agreement and the provider's signature against the provider's DID
document, countersigns it, keeps it, and hands the signature to the provider. Through the outbox so the DSP
verification is not delayed by it and a crash resumes it; the stored signature makes a retry send the same
one.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol
from urllib.parse import quote

from battrace.connector.context import DSP_PATH, ConnectorContext
from battrace.connector.dispatcher import Outcome, PeerClient
from battrace.connector.offers import decode_offer_id
from battrace.connector.processes import outbox
from battrace.connector.records import (
    CONSUMER,
    Agreement,
    Contract,
    ContractDefinition,
    Negotiation,
    OutboxMessage,
)
from battrace.contracts import (
    CONTRACT_HASH_OPERAND,
    ContractSignature,
    ContractSignatureInvalid,
    Parties,
    Party,
    RenderedContract,
    render_contract,
    sign_contract,
    verify_contract_signature,
)
from battrace.errors import BattraceError, InvalidInput, NotFound
from battrace.identity import NodeKeys, verification_key
from battrace.policy import AtomicConstraint, Policy, Rule
from battrace.store import Tx

log = logging.getLogger("battrace.contracts")

KIND = "contract"  # outbox process kind; the process id is the agreement id
SIGN_MESSAGE = "ContractSign"
SERVICE_TYPE = "ContractService"  # DID document service: where a node serves its contracts
_HASH = re.compile(r"^sha256:([0-9a-f]{64})$")
_BPNL = re.compile(r"^BPNL[0-9A-Z]{12}$")


class DidDocuments(Protocol):
    """What the service needs of a DID resolver (battrace.identity.DidResolver)."""

    def resolve(self, did: str) -> Mapping[str, Any]: ...


# ---------------------------------------------------------------------------------------- pure: the binding


def bind_contract_hash(policy: Policy, contract_hash: str) -> Policy:
    """``policy`` with ``contractHash eq <hash>`` added to every permission (ODRL ANDs its constraints)."""
    if not policy.permissions:
        raise InvalidInput("a contract can only be bound into a policy with a permission")
    constraint = AtomicConstraint(CONTRACT_HASH_OPERAND, "eq", contract_hash)
    permissions = tuple(
        dataclasses.replace(rule, constraints=(*rule.constraints, constraint)) for rule in policy.permissions
    )
    return dataclasses.replace(policy, permissions=permissions)


def split_contract_hash(policy: Policy) -> tuple[Policy, str | None]:
    """(the policy without its contract binding, the bound hash); InvalidInput when the binding is not one
    well-formed hash on every permission."""
    hashes: set[Any] = set()
    bound = 0
    permissions: list[Rule] = []
    for rule in policy.permissions:
        kept = tuple(c for c in rule.constraints if not _is_hash(c))
        found = [c for c in rule.constraints if isinstance(c, AtomicConstraint) and _is_hash(c)]
        hashes.update(c.right_operand if c.operator == "eq" else None for c in found)
        bound += 1 if found else 0
        permissions.append(dataclasses.replace(rule, constraints=kept))
    if not hashes:
        return policy, None
    if len(hashes) != 1 or bound != len(policy.permissions):
        raise InvalidInput("the agreement must bind one contract hash into every permission")
    value = hashes.pop()
    if not isinstance(value, str) or not _HASH.match(value):
        raise InvalidInput(f"the contract hash {value!r} is not sha256:<64 lower-case hex digits>")
    return dataclasses.replace(policy, permissions=tuple(permissions)), value


def _is_hash(constraint: Any) -> bool:
    return isinstance(constraint, AtomicConstraint) and constraint.left_operand == CONTRACT_HASH_OPERAND


def contract_view(contract: Contract, agreement: Agreement) -> dict[str, Any]:
    """The JSON a party (or the operator) reads: ``GET /contracts/{agreementId}``."""
    return {
        "agreementId": contract.agreement_id,
        "template": contract.template_id,
        "version": contract.version,
        "sha256": contract.sha256,
        "contractHash": f"sha256:{contract.sha256}",
        "provider": agreement.provider_did,
        "consumer": agreement.consumer_did,
        "createdAt": contract.created_at.isoformat(),
        "signatures": {"provider": contract.provider_signature, "consumer": contract.consumer_signature},
        "markdown": contract.markdown,
        "html": contract.html,
    }


# ------------------------------------------------------------------------------------------------- service


class ContractService:
    def __init__(self, ctx: ConnectorContext, keys: NodeKeys, peers: PeerClient, dids: DidDocuments) -> None:
        self._ctx = ctx
        self._keys = keys
        self._peers = peers
        self._dids = dids

    # -- provider, inside the agreement's transaction

    def bind(self, tx: Tx, negotiation: Negotiation, policy: Policy, agreement_id: str) -> Policy:
        definition = _definition_of(tx, negotiation)
        if definition is None or definition.contract_template is None:
            return policy
        now = self._ctx.clock()
        rendered = render_contract(
            definition.contract_template,
            definition.contract_parameters or {},
            parties=Parties(Party(self._ctx.me.name, self._ctx.me.did), self._consumer(negotiation)),
            agreement_id=agreement_id,
            effective=now.date(),  # the clock is UTC: the agreement's date where it is recorded
        )
        bound = bind_contract_hash(policy, rendered.contract_hash)
        signature = sign_contract(rendered, self._keys, self._ctx.me.did, now=now)
        tx.insert_contract(_record(rendered, signature, None, now))
        event = {"agreement": agreement_id, "sha256": rendered.sha256, "template": rendered.template_id}
        self._ctx.log.append(tx, "contract.rendered", {**event, "version": rendered.version})
        return bound

    def _consumer(self, negotiation: Negotiation) -> Party:
        bpn = self._ctx.claims_for_did(negotiation.counterparty_did).get("bpn")
        if isinstance(bpn, str) and _BPNL.match(bpn):
            return Party(bpn, negotiation.counterparty_did, bpn=bpn)
        return Party(negotiation.counterparty_did, negotiation.counterparty_did)

    # -- consumer: queue the countersignature

    def agreed(self, tx: Tx, negotiation: Negotiation, agreement_id: str, contract_hash: str) -> None:
        body = {
            "agreement": agreement_id,
            "contractHash": contract_hash,
            "dspAddress": negotiation.counterparty_address,
        }
        message = outbox(
            KIND, agreement_id, SIGN_MESSAGE, "", body, negotiation.counterparty_did, self._ctx.clock()
        )
        tx.enqueue(message)

    def countersign(self, message: OutboxMessage) -> Outcome:
        """Outbox sender: fetch and check the contract once, keep it signed, then hand over our signature."""
        agreement_id = str(message.body["agreement"])
        provider = message.audience_did
        base = self._endpoint(provider, str(message.body.get("dspAddress", "")))
        with self._ctx.store.read() as tx:
            stored = tx.get_contract(agreement_id)
        if stored is None or stored.consumer_signature is None:
            fetched = self._peers.get_json(f"{base}/{quote(agreement_id, safe=':')}", provider)
            if fetched.status != 200 or fetched.body is None:
                if fetched.status is not None and 200 <= fetched.status < 300:
                    # A success without the contract must not count as delivered: try again later.
                    return Outcome(None, None, f"no contract in the answer ({fetched.detail})")
                return fetched
            try:
                stored = self._accept(agreement_id, str(message.body["contractHash"]), provider, fetched.body)
            except BattraceError as error:
                return Outcome(422, None, f"contract refused: {error.detail}")
        body = {"agreement": agreement_id, "signature": stored.consumer_signature}
        return self._peers.post_json(f"{base}/{quote(agreement_id, safe=':')}/signatures", body, provider)

    def _accept(
        self, agreement_id: str, contract_hash: str, provider: str, body: Mapping[str, Any]
    ) -> Contract:
        markdown, html = body.get("markdown"), body.get("html")
        if not isinstance(markdown, str) or not isinstance(html, str):
            raise InvalidInput("the provider's contract has no markdown or html text")
        sha256 = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
        if f"sha256:{sha256}" != contract_hash:
            raise InvalidInput(
                f"the contract text hashes to sha256:{sha256}, the agreement binds {contract_hash}"
            )
        signatures = body.get("signatures")
        provider_jws = signatures.get("provider") if isinstance(signatures, Mapping) else None
        self.verify(provider_jws, sha256, agreement_id, provider)
        now = self._ctx.clock()
        rendered = RenderedContract(
            template_id=str(body.get("template", "")),
            version=str(body.get("version", "")),
            agreement_id=agreement_id,
            effective=now.date(),  # not part of the signature; sign_contract reads the parties and the hash
            parties=Parties(Party(provider, provider), Party(self._ctx.me.name, self._ctx.me.did)),
            parameters=MappingProxyType({}),
            markdown=markdown,
            html=html,
            sha256=sha256,
        )
        mine = sign_contract(rendered, self._keys, self._ctx.me.did, now=now)
        with self._ctx.store.transaction() as tx:
            existing = tx.get_contract(agreement_id)
            if existing is None:
                tx.insert_contract(_record(rendered, str(provider_jws), mine, now))
            elif not tx.add_contract_signature(agreement_id, CONSUMER, mine):
                return _signed(tx, agreement_id)  # a concurrent run got there first: send its signature
            self._log_signed(tx, agreement_id, sha256, CONSUMER)
            return _signed(tx, agreement_id)

    # -- provider, HTTP

    def for_party(self, agreement_id: str, caller_did: str | None) -> tuple[Contract, Agreement]:
        """The contract for one of the two parties; anyone else learns nothing (404, like DSP 2025-1 §3.3).
        ``caller_did`` None: the operator (management API)."""
        with self._ctx.store.read() as tx:
            agreement = tx.get_agreement(agreement_id)
            contract = tx.get_contract(agreement_id)
        if agreement is None or contract is None:
            raise NotFound(f"no contract for agreement {agreement_id!r}")
        if caller_did is not None and caller_did not in (agreement.provider_did, agreement.consumer_did):
            raise NotFound(f"no contract for agreement {agreement_id!r}")
        return contract, agreement

    def receive_signature(
        self, agreement_id: str, caller_did: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST /contracts/{agreementId}/signatures``: the consumer's countersignature, verified, kept."""
        contract, agreement = self.for_party(agreement_id, caller_did)
        if caller_did != agreement.consumer_did or agreement.provider_did != self._ctx.me.did:
            raise NotFound(f"no contract for agreement {agreement_id!r} awaiting your signature")
        token = body.get("signature")
        signature = self.verify(token, contract.sha256, agreement_id, caller_did)
        with self._ctx.store.transaction() as tx:
            if tx.add_contract_signature(agreement_id, CONSUMER, signature.jws):
                self._log_signed(tx, agreement_id, contract.sha256, CONSUMER)
            stored = _signed(tx, agreement_id)
        return contract_view(stored, agreement)

    def verify(self, token: Any, sha256: str, agreement_id: str, signer_did: str) -> ContractSignature:
        """``token`` signs ``sha256`` for ``agreement_id`` with a key of ``signer_did``'s DID document."""
        if not isinstance(token, str) or not token:
            raise ContractSignatureInvalid("no signature (a compact JWS) given")
        try:
            jwk = verification_key(self._dids.resolve(signer_did), _kid(token)).as_dict(private=False)
        except InvalidInput as error:
            raise ContractSignatureInvalid(
                f"no key of {signer_did} for this signature: {error.detail}"
            ) from error
        key = {name: str(jwk.get(name, "")) for name in ("kty", "crv", "x")}
        signature = verify_contract_signature(token, sha256, key, agreement_id=agreement_id)
        if signature.signer_did != signer_did:
            raise ContractSignatureInvalid(f"signed by {signature.signer_did}, not by {signer_did}")
        return signature

    def _log_signed(self, tx: Tx, agreement_id: str, sha256: str, role: str) -> None:
        event = {"agreement": agreement_id, "sha256": sha256, "signer": role, "by": self._ctx.me.did}
        self._ctx.log.append(tx, "contract.signed", event)

    def _endpoint(self, provider: str, dsp_address: str) -> str:
        try:
            document = self._dids.resolve(provider)
        except BattraceError:
            document = {}
        for service in document.get("service", []) or []:
            if isinstance(service, Mapping) and service.get("type") == SERVICE_TYPE:
                endpoint = service.get("serviceEndpoint")
                if isinstance(endpoint, str) and endpoint:
                    return endpoint.rstrip("/")
        # A peer that does not publish the service: its contracts hang off its base URL, beside DSP.
        return dsp_address.rstrip("/").removesuffix(DSP_PATH) + "/contracts"


class ContractDeliveries:
    """Outbox handler of the ``contract`` kind: a countersignature that could not be given is recorded."""

    def __init__(self, ctx: ConnectorContext) -> None:
        self._ctx = ctx

    def delivered(self, tx: Tx, message: OutboxMessage, response: Mapping[str, Any] | None) -> None:
        return None

    def undeliverable(self, tx: Tx, message: OutboxMessage, detail: str) -> None:
        agreement = message.body.get("agreement")
        log.warning("contract of agreement %s not countersigned: %s", agreement, detail)
        self._ctx.log.append(tx, "contract.refused", {"agreement": agreement, "detail": detail})


def _definition_of(tx: Tx, negotiation: Negotiation) -> ContractDefinition | None:
    """The contract definition behind the offer under negotiation: its id is in the offer id (offers.py).
    An offer the provider's operator wrote by hand names none, and binds no contract."""
    offer_id = (negotiation.offer or {}).get("@id")
    if not isinstance(offer_id, str):
        return None
    try:
        definition_id, _ = decode_offer_id(offer_id)
    except NotFound:
        return None
    return tx.get_contract_definition(definition_id)


def _record(
    rendered: RenderedContract, provider: str | None, consumer: str | None, now: datetime
) -> Contract:
    return Contract(
        agreement_id=rendered.agreement_id,
        template_id=rendered.template_id,
        version=rendered.version,
        markdown=rendered.markdown,
        html=rendered.html,
        sha256=rendered.sha256,
        provider_signature=provider,
        consumer_signature=consumer,
        created_at=now,
    )


def _signed(tx: Tx, agreement_id: str) -> Contract:
    contract = tx.get_contract(agreement_id)
    if contract is None:  # pragma: no cover - inserted or updated in this very transaction
        raise NotFound(f"no contract for agreement {agreement_id!r}")
    return contract


def _kid(token: str) -> str:
    try:
        encoded = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, UnicodeError) as error:
        raise ContractSignatureInvalid(f"malformed JWS header: {error}") from error
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str) or not kid:
        raise ContractSignatureInvalid("the JWS header names no key (kid)")
    return kid
