"""Trust: trust lists, mutual recognition between data spaces, DCP presentation, connect-permission modes,
verifiable credentials and status lists."""

from battrace.trust.modes import (
    connect_policy,
    min_security_profile,
    only_participants,
    only_with_attributes,
    policy_document,
    policy_from_config,
    register_mode_operands,
)
from battrace.trust.recognition import (
    Recognition,
    RecognitionStatement,
    Withdrawal,
    sign_recognition,
    sign_withdrawal,
    verify_recognition,
    verify_withdrawal,
)
from battrace.trust.trustlist import (
    CertificationBody,
    SignatureInvalid,
    TrustDecision,
    TrustList,
    sign_trust_list,
    verify_trust_list,
)

__all__ = [
    "CertificationBody",
    "Recognition",
    "RecognitionStatement",
    "SignatureInvalid",
    "TrustDecision",
    "TrustList",
    "Withdrawal",
    "connect_policy",
    "min_security_profile",
    "only_participants",
    "only_with_attributes",
    "policy_document",
    "policy_from_config",
    "register_mode_operands",
    "sign_recognition",
    "sign_trust_list",
    "sign_withdrawal",
    "verify_recognition",
    "verify_trust_list",
    "verify_withdrawal",
]
