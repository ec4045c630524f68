"""What a passport reader may see: the Art. 77(2) split made at the source.

Issue requirement: "Restricted attributes never appear in a response to a caller without the right". So the
split is made here, on the stored values, before anything is serialised; callers never filter afterwards.

* ``audiences_from_claims`` maps verified credential claims (``battrace.trust``: ``{"roles": [...]}``) to the
  Art. 77(2) reader groups. A caller may belong to several groups (a recycler that is also a notified body
  is unlikely but not excluded by the Regulation), so it returns a set; ``audience_from_claims`` returns a
  single audience only when that is unambiguous.
* ``view_for_audiences`` keeps an attribute when *any* of the caller's audiences may see it (the union of
  visible access levels). Art. 77(2) grants each group its points independently; holding one right does
  not take away another.
* ``view_for`` is the single-audience shorthand.

Pure module: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from battrace.errors import InvalidInput
from battrace.passport.attributes import AccessLevel, Audience, attribute, may_see

# Role claim values -> the Art. 77(2) reader group they belong to. The implementing act that will define
# "persons with a legitimate interest" (Art. 77(9)) is still pending, so this table is configuration-like:
# change it here, nowhere else. Role values match battrace.trust.subjects.Role; SecondLifeOperator is reserved
# for a credential not issued yet.
# Roles not listed (e.g. CellMaker, VehicleOem, MaterialSupplier) grant nothing beyond the public view.
ROLE_AUDIENCES: Mapping[str, Audience] = MappingProxyType(
    {
        # Art. 77(2)(b)/(c), recitals: repair, re-use, remanufacturing, repurposing, recycling
        "Recycler": Audience.LEGITIMATE_INTEREST,
        "Repairer": Audience.LEGITIMATE_INTEREST,
        "Remanufacturer": Audience.LEGITIMATE_INTEREST,
        "ReuseOperator": Audience.LEGITIMATE_INTEREST,
        "SecondLifeOperator": Audience.LEGITIMATE_INTEREST,
        # Art. 77(2)(b): notified bodies, market surveillance authorities and the Commission
        "NotifiedBody": Audience.AUTHORITY,
        "MarketSurveillanceAuthority": Audience.AUTHORITY,
        "Commission": Audience.AUTHORITY,
    }
)

# Order in which withheld levels are reported (Annex XIII point order: 1, 2, 3, 4).
_LEVEL_ORDER: tuple[AccessLevel, ...] = (
    AccessLevel.PUBLIC,
    AccessLevel.LEGITIMATE_INTEREST,
    AccessLevel.AUTHORITY,
    AccessLevel.LEGITIMATE_INTEREST_ONLY,
)


@dataclass(frozen=True)
class PassportView:
    """The attributes a reader may see, and which access levels held data that was withheld.

    ``withheld`` names access levels (``AccessLevel.value``), never attribute keys or values, so a viewer
    can say "more data is available with a legitimate-interest credential" without revealing what it is.
    """

    values: dict[str, object] = field(default_factory=dict)
    withheld: tuple[str, ...] = ()


def audiences_from_claims(claims: Mapping[str, object]) -> frozenset[Audience]:
    """The reader groups the verified ``claims`` put the caller in; always contains ``Audience.PUBLIC``.

    Only the ``roles`` claim counts (a list of role names, as ``battrace.trust`` produces it). Unknown role
    names grant nothing. A malformed ``roles`` claim (not a list of strings, e.g. a bare string that would
    otherwise be iterated character by character) raises InvalidInput rather than being guessed at.
    """
    audiences = {Audience.PUBLIC}
    roles = claims.get("roles")
    if roles is None:
        return frozenset(audiences)
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidInput("roles claim must be an array of strings", reason="roles")
    for role in roles:
        granted = ROLE_AUDIENCES.get(role)
        if granted is not None:
            audiences.add(granted)
    return frozenset(audiences)


def audience_from_claims(claims: Mapping[str, object]) -> Audience:
    """The single most specific reader group of the caller.

    PUBLIC when no role grants more. When the claims grant both LEGITIMATE_INTEREST and AUTHORITY there is no
    single answer (Art. 77(2) is not a ladder: neither group sees everything the other does), so this raises
    InvalidInput; use ``audiences_from_claims`` with ``view_for_audiences`` to get the union instead.
    """
    granted = audiences_from_claims(claims) - {Audience.PUBLIC}
    if not granted:
        return Audience.PUBLIC
    if len(granted) > 1:
        raise InvalidInput(
            "claims grant more than one passport audience; use audiences_from_claims", reason="roles"
        )
    (only,) = granted
    return only


def view_for_audiences(values: Mapping[str, object], audiences: Iterable[Audience]) -> PassportView:
    """The part of ``values`` visible to a caller in any of ``audiences`` (union of their rights).

    Unknown keys (not in the Annex XIII catalogue) are dropped, never passed through: with no access level
    there is no basis to show them to anyone, so failing closed means not showing them. They are dropped
    rather than raising because this runs when a passport is *read*; rejecting bad keys is the job of
    validation when it is written (``battrace.passport.checks``), and a stray key must not make the whole
    passport unreadable. They are not counted in ``withheld`` either (there is no level to name).
    An empty ``audiences`` sees nothing.
    """
    caller = frozenset(audiences)
    visible: dict[str, object] = {}
    withheld: set[AccessLevel] = set()
    for key, value in values.items():
        try:
            level = attribute(key).access
        except InvalidInput:
            continue
        if any(may_see(audience, level) for audience in caller):
            visible[key] = value
        else:
            withheld.add(level)
    return PassportView(visible, tuple(level.value for level in _LEVEL_ORDER if level in withheld))


def view_for(values: Mapping[str, object], audience: Audience) -> PassportView:
    """The part of ``values`` that ``audience`` may see (Art. 77(2)); see ``view_for_audiences``."""
    return view_for_audiences(values, (audience,))
