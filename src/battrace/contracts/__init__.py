"""Contract templates turned into signed contracts (BASC digital scheme §5.1 ⑦).

A contract template is an ordered selection of clause templates (Jinja2, shipped under ``templates/``) with
a merged parameter schema. ``render_contract`` renders it as Markdown (the text of record, hashed) and as a
standalone HTML page; ``contract_hash_constraint`` binds the hash into the ODRL agreement policy; each party
signs the hash with ``sign_contract`` and anyone holding its public key checks it with
``verify_contract_signature``. Pure: no HTTP, no database, no clock.
"""

from battrace.contracts._examples import ContractExample, load_example
from battrace.contracts.library import (
    ClauseInfo,
    Roles,
    TemplateInfo,
    list_templates,
    template_parameters,
)
from battrace.contracts.parameters import ParameterSpec
from battrace.contracts.render import Parties, Party, RenderedContract, render_contract
from battrace.contracts.signing import (
    CONTRACT_HASH_OPERAND,
    SIGNATURE_TYPE,
    ContractSignature,
    ContractSignatureInvalid,
    contract_hash_constraint,
    sign_contract,
    verify_contract_signature,
)

__all__ = [
    "CONTRACT_HASH_OPERAND",
    "SIGNATURE_TYPE",
    "ClauseInfo",
    "ContractExample",
    "ContractSignature",
    "ContractSignatureInvalid",
    "ParameterSpec",
    "Parties",
    "Party",
    "RenderedContract",
    "Roles",
    "TemplateInfo",
    "contract_hash_constraint",
    "list_templates",
    "load_example",
    "render_contract",
    "sign_contract",
    "template_parameters",
    "verify_contract_signature",
]
