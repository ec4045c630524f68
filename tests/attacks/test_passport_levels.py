"""Passport attributes above the caller's level (EU 2023/1542 Art. 77(2)) never reach that caller.

The provider's config grants the ``consumer`` the Recycler role; the ``rival`` is a member without a role.
Attacks: no token (public), a self-asserted role (the stranger signs its own token with ``roles`` and a BPN
in it: claims come from the provider's trust sources, never from the token), a token for another audience,
a replayed token, and the rival reading through the data space. Surfaces: the participant API, the data
plane, the viewer HTML (with its charts) and its login, the QR resolver, the registry. Each is paired with
the honest Recycler reading the restricted values, so a broken harness cannot pass as a refusal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from battrace.clock import urn_uuid
from battrace.identity import NodeKeys, issue_token
from battrace.passport.samples import sample_battery

from .conftest import CONSUMER_BPN, RESTRICTED_MARKERS, RIVAL_BPN, Space, wait_for_log
from .edr import fetch

pytestmark = pytest.mark.integration


def _leaks(text: str) -> list[str]:
    return [marker for marker in RESTRICTED_MARKERS if marker in text]


def _read(space: Space, passport_id: str, authorization: str | None = None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return httpx.get(f"{space.provider.base_url}/passports/{passport_id}", headers=headers, timeout=10)


def _forged(space: Space) -> str:
    """The stranger's own key, signing a token that claims the Recycler role and the consumer's BPN."""
    keys = NodeKeys.load_or_create(space.stranger.data_dir / "keys" / "node-ed25519.pem")
    token = issue_token(
        keys,
        space.stranger.did,
        space.provider.did,
        now=datetime.now(UTC),
        jti=urn_uuid(),
        extra_claims={"roles": ["Recycler"], "bpn": CONSUMER_BPN, "membership": "active"},
    )
    return "Bearer " + token


@pytest.fixture(scope="module")
def passport_id(space: Space) -> str:
    return space.issue_passport(f"LVL-{uuid.uuid4().hex[:6]}")


def test_the_recycler_sees_restricted_values_control(space: Space, passport_id: str) -> None:
    response = _read(space, passport_id, space.token(space.consumer))
    assert response.status_code == 200
    assert _leaks(response.text)  # the markers are really there for the right reader


def test_public_and_role_less_callers_see_no_restricted_value(space: Space, passport_id: str) -> None:
    for authorization in (None, space.token(space.rival), space.token(space.stranger)):
        response = _read(space, passport_id, authorization)
        assert response.status_code == 200, response.text
        assert response.json()["audiences"] == ["public"]
        assert _leaks(response.text) == []


def test_a_self_asserted_role_claim_gives_nothing(space: Space, passport_id: str) -> None:
    response = _read(space, passport_id, _forged(space))
    assert response.status_code == 200, response.text
    assert response.json()["audiences"] == ["public"]
    assert _leaks(response.text) == []


def test_a_token_for_another_audience_or_replayed_is_refused(space: Space, passport_id: str) -> None:
    for_rival = space.token(space.consumer, audience=space.rival)
    refused = _read(space, passport_id, for_rival)
    assert refused.status_code == 401 and _leaks(refused.text) == []
    token = space.token(space.consumer)
    assert _leaks(_read(space, passport_id, token).text)  # first use: the recycler's view
    replayed = _read(space, passport_id, token)
    assert replayed.status_code == 401, replayed.text
    assert _leaks(replayed.text) == []
    wait_for_log(space.provider, "was already used (replay)")


def test_the_viewer_and_its_charts_show_only_the_verified_level(space: Space, passport_id: str) -> None:
    base = space.provider.base_url
    page = httpx.get(f"{base}/passport/{passport_id}", timeout=10)
    assert page.status_code == 200 and _leaks(page.text) == []
    # The forged token is the stranger's own, validly signed: login succeeds as the stranger, and the session
    # it opens carries the stranger's verified roles (none), never the role written into the token.
    with httpx.Client(base_url=base, timeout=10, headers={"Origin": base}) as forger:
        assert forger.post("/passport/login", data={"token": _forged(space)}).status_code == 303
        assert _leaks(forger.get(f"/passport/{passport_id}").text) == []
    tampered = _forged(space)[:-3] + "AAA"
    login = httpx.post(
        f"{base}/passport/login", data={"token": tampered}, headers={"Origin": base}, timeout=10
    )
    assert login.status_code == 401 and "set-cookie" not in login.headers
    honest = httpx.Client(base_url=base, timeout=10, headers={"Origin": base})
    with honest:
        response = honest.post("/passport/login", data={"token": space.token(space.consumer)})
        assert response.status_code == 303
        assert _leaks(honest.get(f"/passport/{passport_id}").text)  # control: the session opens the level


def test_the_qr_resolver_and_the_registry_leak_nothing_restricted(space: Space) -> None:
    serial = f"QR{uuid.uuid4().hex[:6]}"
    space.issue_passport(serial)
    battery = sample_battery(serial)
    base = space.provider.base_url
    for authorization in (None, _forged(space)):
        headers = {"Authorization": authorization} if authorization else {}
        resolved = httpx.get(battery.digital_link(base), headers=headers, follow_redirects=True, timeout=10)
        assert resolved.status_code == 200, resolved.text
        assert _leaks(resolved.text) == []
    for authorization in (None, space.token(space.rival)):
        headers = {"Authorization": authorization} if authorization else {}
        shells = httpx.get(f"{base}/api/v3/shell-descriptors", headers=headers, timeout=10)
        assert shells.status_code in (200, 401, 403), shells.text
        assert _leaks(shells.text) == []


def test_a_role_less_member_reading_through_the_data_space_gets_the_public_level(space: Space) -> None:
    passport_id = space.issue_passport(f"DS-{uuid.uuid4().hex[:6]}")
    asset_id = space.publish(None, kind="passports", allowed=(CONSUMER_BPN, RIVAL_BPN))
    _, _, rival_edr = space.pull(asset_id, space.rival)
    _, _, recycler_edr = space.pull(asset_id, space.consumer)
    as_rival = fetch(space.rival, rival_edr, passport_id)
    assert as_rival.status_code == 200, as_rival.text
    assert _leaks(as_rival.text) == []
    as_recycler = fetch(space.consumer, recycler_edr, passport_id)
    assert _leaks(as_recycler.text)  # control
