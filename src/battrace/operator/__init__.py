"""The data-space operator node: trust anchor (signed trust list), certification body (credentials and their
revocation list), participant directory and mutual recognition of other data spaces."""

from battrace.operator.client import (
    Decision,
    SpaceClient,
    SpaceError,
    http_download,
    http_resolver,
    operator_for,
    trust_predicate,
    trust_view,
)
from battrace.operator.records import (
    CERTIFIED_TYPES,
    CertifyRequest,
    CredentialLedger,
    IssuedCredential,
    Participant,
    RecognitionRecord,
    RecognizeRequest,
    SpaceConfig,
    credential_type,
)
from battrace.operator.service import Issued, SpaceOperator, init_space, space_dids

__all__ = [
    "CERTIFIED_TYPES",
    "CertifyRequest",
    "CredentialLedger",
    "Decision",
    "Issued",
    "IssuedCredential",
    "Participant",
    "RecognitionRecord",
    "RecognizeRequest",
    "SpaceClient",
    "SpaceConfig",
    "SpaceError",
    "SpaceOperator",
    "credential_type",
    "http_download",
    "http_resolver",
    "init_space",
    "operator_for",
    "space_dids",
    "trust_predicate",
    "trust_view",
]
