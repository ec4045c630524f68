"""The one joserfc registry identity uses: Ed25519 signatures only.

joserfc warns (SecurityWarning) on every use of the polymorphic ``EdDSA`` name, which RFC 9864 deprecates in
favour of ``Ed25519``. We still emit ``EdDSA`` because EDC and other peers do not accept ``Ed25519`` yet. So
``EdDSA`` is registered here as a copy of joserfc's ``Ed25519`` algorithm: no warning (silencing warnings
around each call is not thread-safe), and the curve is pinned to Ed25519 (no Ed448).
"""

from __future__ import annotations

import copy

from joserfc.jwa import JWS_ALGORITHMS, JWSAlgModel
from joserfc.jws import JWSRegistry

EMITTED_ALGORITHM = "EdDSA"
# RFC 9864 §2: "Ed25519" is the fully specified name of the same signature; accept it on input
ACCEPTED_ALGORITHMS = frozenset({"EdDSA", "Ed25519"})

_ED25519 = next(alg for alg in JWS_ALGORITHMS if alg.name == "Ed25519")
_EDDSA = copy.copy(_ED25519)
_EDDSA.name = EMITTED_ALGORITHM


class _Ed25519Registry(JWSRegistry):
    # a registry that knows no other algorithm: "none" and HS*/RS*/ES* cannot even be looked up
    algorithms: dict[str, JWSAlgModel] = {"EdDSA": _EDDSA, "Ed25519": _ED25519}  # noqa: RUF012 (joserfc API)
    recommended: list[str] = []  # noqa: RUF012 (joserfc API)


# RFC 7515 §4.1.11: unknown header parameters are ignored unless listed in "crit" (joserfc still checks crit)
REGISTRY = _Ed25519Registry(algorithms=sorted(ACCEPTED_ALGORITHMS), strict_check_header=False)
