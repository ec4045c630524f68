"""Company identifiers: 法人番号 (NTA check digit first), BPN shape, GLN (GS1 mod-10 check digit last)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.trust.identifiers import (
    Bpn,
    CorporateNumber,
    Gln,
    corporate_number_check_digit,
    gln_check_digit,
    identifier_claim,
    identifier_from_claim,
    parse_identifier,
)

twelve_digits = st.text(alphabet="0123456789", min_size=12, max_size=12)


@pytest.mark.parametrize(
    "number",
    [
        "7000012050002",  # 国税庁 (National Tax Agency), from the NTA corporate number site
        "1180301018771",  # トヨタ自動車株式会社
        "4000012090001",  # 経済産業省
    ],
)
def test_published_corporate_numbers_are_valid(number: str) -> None:
    assert CorporateNumber(number).value == number


def test_corporate_number_check_digit_matches_the_nta_worked_example() -> None:
    # 000012050002: Σ P_n·Q_n = 11, 9 - 11 mod 9 = 7
    assert corporate_number_check_digit("000012050002") == 7


def test_corporate_number_with_wrong_check_digit_is_refused_with_the_expected_digit() -> None:
    with pytest.raises(InvalidInput, match="expected 7") as caught:
        CorporateNumber("6000012050002")
    assert caught.value.extra["reason"] == "corporate_number_check_digit"


@pytest.mark.parametrize("bad", ["700001205000", "70000120500021", "７000012050002", "70000120500O2", ""])
def test_corporate_number_must_be_13_ascii_digits(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        CorporateNumber(bad)
    assert caught.value.extra["reason"] == "corporate_number_format"


@given(twelve_digits)
def test_every_corporate_number_base_has_exactly_one_valid_check_digit(base: str) -> None:
    valid = [d for d in range(10) if _accepts(CorporateNumber, f"{d}{base}")]
    assert valid == [corporate_number_check_digit(base)]
    assert 1 <= valid[0] <= 9  # 9 - (x mod 9) is never 0


@given(twelve_digits, st.integers(0, 11), st.integers(1, 9))
def test_a_single_changed_digit_breaks_the_corporate_number(base: str, position: int, delta: int) -> None:
    number = f"{corporate_number_check_digit(base)}{base}"
    digits = list(number)
    old = int(digits[1 + position])
    new = (old + delta) % 10
    digits[1 + position] = str(new)
    changed = "".join(digits)
    # the NTA sum is taken mod 9: a digit change by ±9 (0<->9) cannot be detected, every other change is
    weight = 1 if (12 - position) % 2 else 2
    if ((new - old) * weight) % 9 == 0:
        assert _accepts(CorporateNumber, changed)
    else:
        assert not _accepts(CorporateNumber, changed)


@pytest.mark.parametrize("gln", ["4006381333931", "0614141000005", "4912345000019"])
def test_gs1_example_glns_are_valid(gln: str) -> None:
    assert Gln(gln).value == gln


def test_gln_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="expected 1") as caught:
        Gln("4006381333932")
    assert caught.value.extra["reason"] == "gln_check_digit"


@given(twelve_digits)
def test_every_gln_base_has_exactly_one_valid_check_digit(base: str) -> None:
    assert [d for d in range(10) if _accepts(Gln, base + str(d))] == [gln_check_digit(base)]


@given(twelve_digits, st.integers(0, 11), st.integers(1, 9))
def test_gln_detects_every_single_digit_error(base: str, position: int, delta: int) -> None:
    digits = list(base + str(gln_check_digit(base)))
    digits[position] = str((int(digits[position]) + delta) % 10)
    assert not _accepts(Gln, "".join(digits))  # weights 1 and 3 are coprime to 10


@pytest.mark.parametrize(
    ("bpn", "kind"),
    [("BPNL00000003AYRE", "legal_entity"), ("BPNS0000000000ZZ", "site"), ("BPNA000000000001", "address")],
)
def test_bpn_of_each_kind_is_valid(bpn: str, kind: str) -> None:
    assert Bpn(bpn).kind == kind


@pytest.mark.parametrize(
    "bad", ["BPNL000000001", "BPNX00000003AYRE", "bpnl00000003ayre", "BPNL00000003AYRE1", "BPNL00000003AY-E"]
)
def test_malformed_bpn_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Bpn(bad)
    assert caught.value.extra["reason"] == "bpn_format"


def test_identifier_claims_round_trip_for_every_scheme() -> None:
    for identifier in (CorporateNumber("7000012050002"), Bpn("BPNL00000003AYRE"), Gln("4006381333931")):
        assert identifier_from_claim(identifier_claim(identifier)) == identifier


def test_unknown_identifier_scheme_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown identifier scheme"):
        parse_identifier("DUNS", "123456789")


def _accepts(kind: type[CorporateNumber] | type[Gln], value: str) -> bool:
    try:
        kind(value)
    except InvalidInput:
        return False
    return True
