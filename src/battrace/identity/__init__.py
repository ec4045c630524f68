"""Node identity: Ed25519 keys, did:web documents, self-issued JWTs, DID resolution, replay guard, claims."""

from battrace.identity.claims import ChainedClaims, ClaimsSource, StaticClaims
from battrace.identity.did import (
    DidWeb,
    did_document,
    did_web,
    did_web_document_url,
    is_private_host,
    verification_key,
)
from battrace.identity.keys import NodeKeys
from battrace.identity.replay import MemoryReplayGuard, ReplayCacheFull, ReplayGuard
from battrace.identity.resolver import (
    DidResolutionError,
    DidResolver,
    DocumentFetcher,
    httpx_fetcher,
    static_fetcher,
)
from battrace.identity.tokens import TOKEN_MAX_LIFETIME, TokenVerifier, VerifiedCaller, issue_token

__all__ = [
    "TOKEN_MAX_LIFETIME",
    "ChainedClaims",
    "ClaimsSource",
    "DidResolutionError",
    "DidResolver",
    "DidWeb",
    "DocumentFetcher",
    "MemoryReplayGuard",
    "NodeKeys",
    "ReplayCacheFull",
    "ReplayGuard",
    "StaticClaims",
    "TokenVerifier",
    "VerifiedCaller",
    "did_document",
    "did_web",
    "did_web_document_url",
    "httpx_fetcher",
    "is_private_host",
    "issue_token",
    "static_fetcher",
    "verification_key",
]
