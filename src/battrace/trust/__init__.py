"""Trust: verifiable credentials, company identifiers, status lists and their verification.

Pure modules (no HTTP, no database): fetching DID documents and status lists is done by callables the caller
hands in.
"""

from battrace.trust.credentials import (
    ACCEPTED_ALGORITHMS,
    Credential,
    CredentialJwt,
    IssuerKey,
    decode_credential_jwt,
    issue_credential,
    issue_status_list_credential,
    parse_credential_json,
)
from battrace.trust.identifiers import (
    Bpn,
    CompanyIdentifier,
    CorporateNumber,
    Gln,
    corporate_number_check_digit,
    gln_check_digit,
    parse_identifier,
)
from battrace.trust.status import (
    BitstringStatusListCredential,
    PublishedStatusList,
    StatusCache,
    StatusEntry,
    StatusList,
    is_revoked,
    set_status,
)
from battrace.trust.subjects import (
    AppCertificationCredential,
    BpnCredential,
    CertificationLevel,
    ConnectorCertificationCredential,
    CredentialSubject,
    DismantlerCredential,
    FrameworkCredential,
    GenericCredential,
    MembershipCredential,
    Role,
    RoleCredential,
    SecurityProfile,
)
from battrace.trust.verify import (
    CredentialForbidden,
    CredentialUnauthenticated,
    VerifiedCredential,
    status_fetcher,
    verify_credential,
    verify_status_list_credential,
)

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "AppCertificationCredential",
    "BitstringStatusListCredential",
    "Bpn",
    "BpnCredential",
    "CertificationLevel",
    "CompanyIdentifier",
    "ConnectorCertificationCredential",
    "CorporateNumber",
    "Credential",
    "CredentialForbidden",
    "CredentialJwt",
    "CredentialSubject",
    "CredentialUnauthenticated",
    "DismantlerCredential",
    "FrameworkCredential",
    "GenericCredential",
    "Gln",
    "IssuerKey",
    "MembershipCredential",
    "PublishedStatusList",
    "Role",
    "RoleCredential",
    "SecurityProfile",
    "StatusCache",
    "StatusEntry",
    "StatusList",
    "VerifiedCredential",
    "corporate_number_check_digit",
    "decode_credential_jwt",
    "gln_check_digit",
    "is_revoked",
    "issue_credential",
    "issue_status_list_credential",
    "parse_credential_json",
    "parse_identifier",
    "set_status",
    "status_fetcher",
    "verify_credential",
    "verify_status_list_credential",
]
