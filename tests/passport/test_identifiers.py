"""Battery identifiers: GS1 GTIN/SGTIN with Digital Link, ISO/IEC 15459 unique identifiers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.passport.identifiers import Gtin, Sgtin, UniqueIdentifier, gs1_check_digit
from battrace.trust.identifiers import Gln

_bases = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
)


def test_real_gtin_13_is_accepted() -> None:
    assert Gtin("4006381333931").gtin14 == "04006381333931"


def test_gtin_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="check digit 2, expected 1"):
        Gtin("4006381333932")


@pytest.mark.parametrize("value", ["123", "40063813339310000", "400638133393A", ""])
def test_gtin_of_wrong_length_or_with_letters_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="8, 12, 13 or 14"):
        Gtin(value)


@given(_bases)
def test_base_plus_its_check_digit_is_a_gtin_and_every_other_digit_is_not(base: str) -> None:
    digit = gs1_check_digit(base)
    assert Gtin(f"{base}{digit}").value.endswith(str(digit))
    for wrong in set(range(10)) - {digit}:
        with pytest.raises(InvalidInput):
            Gtin(f"{base}{wrong}")


@given(_bases)
def test_padding_to_gtin_14_keeps_the_check_digit_valid(base: str) -> None:
    gtin = Gtin(f"{base}{gs1_check_digit(base)}")
    assert Gtin(gtin.gtin14).gtin14 == gtin.gtin14


def test_gs1_check_digit_agrees_with_the_gln_of_trust_identifiers() -> None:
    base = "401234500000"
    assert Gln(f"{base}{gs1_check_digit(base)}").value.startswith(base)


def test_digital_link_uses_gtin_14_and_the_plain_serial() -> None:
    sgtin = Sgtin(Gtin("4006381333931"), "BAT0001")
    assert sgtin.digital_link() == "https://id.example/01/04006381333931/21/BAT0001"


def test_digital_link_percent_encodes_reserved_characters_of_the_serial() -> None:
    sgtin = Sgtin(Gtin("4006381333931"), "A/1+2%?")
    assert sgtin.digital_link("https://resolver.test/") == (
        "https://resolver.test/01/04006381333931/21/A%2F1%2B2%25%3F"
    )


@pytest.mark.parametrize("serial", ["", "x" * 21, "bad serial", "ü"])
def test_serial_outside_gs1_set_82_or_over_20_characters_is_refused(serial: str) -> None:
    with pytest.raises(InvalidInput, match="serial"):
        Sgtin(Gtin("4006381333931"), serial)


def test_iso_15459_identifier_joins_agency_company_and_serial() -> None:
    assert str(UniqueIdentifier("LA", "ABC123", "0001-X")) == "LAABC1230001-X"


@pytest.mark.parametrize(
    ("agency", "company", "serial", "rule"),
    [
        ("LAXX", "ABC", "1", "issuing agency"),
        ("la", "ABC", "1", "issuing agency"),
        ("LA", "abc", "1", "company"),
        ("LA", "ABC", "", "serial"),
        ("LA", "ABC", "9" * 60, "longer than 50"),
    ],
)
def test_malformed_iso_15459_identifier_is_refused(agency: str, company: str, serial: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rule):
        UniqueIdentifier(agency, company, serial)


def test_an_element_string_reads_as_its_sgtin_and_anything_else_is_not_one() -> None:
    from battrace.passport.identifiers import sgtin_from_element_string

    sgtin = sgtin_from_element_string("(01)04012345000016(21)P1")
    assert sgtin is not None and sgtin.gtin.gtin14 == "04012345000016" and sgtin.serial == "P1"
    assert sgtin_from_element_string("urn:epc:id:sgtin:4012345.000001.P1") is None
    with pytest.raises(InvalidInput):
        sgtin_from_element_string("(01)04012345000017(21)P1")  # wrong check digit
