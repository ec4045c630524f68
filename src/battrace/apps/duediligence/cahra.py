"""Country codes and the configurable CAHRA / covered-country list.

Countries are ISO 3166-1 alpha-2 codes everywhere in the due-diligence app. The code table ships as
``iso3166.json``, made from tzdata's ``iso3166.tab`` (IANA time zone database, public domain).

What counts as a conflict-affected and high-risk area (CAHRA) is the user's call: the EU indicative CAHRA list
under Reg. (EU) 2017/821 is non-exhaustive and changes, and the RMI templates leave the judgement to the
declarant. So the list is data (``CountryList``), loaded from JSON. The shipped default is the one list whose
content is fixed in law: the US Dodd-Frank Act §1502(e)(4) "Covered Countries" (the Democratic Republic of the
Congo and the countries sharing a border with it), as named in our notes (pcf-ouranos.md §6.1).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from battrace.errors import InvalidInput


@functools.cache
def country_names() -> Mapping[str, str]:
    """ISO 3166-1 alpha-2 code -> English short name (tzdata's spelling)."""
    text = resources.files(__package__).joinpath("iso3166.json").read_text(encoding="utf-8")
    countries: dict[str, str] = json.loads(text)["countries"]
    return countries


@functools.cache
def _codes_by_name() -> Mapping[str, str]:
    return {name.casefold(): code for code, name in country_names().items()}


def is_country(code: str) -> bool:
    return code in country_names()


def country_code(text: str) -> str:
    """The alpha-2 code for a code or an English short name (as tzdata spells it), case-insensitively."""
    cleaned = text.strip()
    if cleaned.upper() in country_names():
        return cleaned.upper()
    code = _codes_by_name().get(cleaned.casefold())
    if code is None:
        raise InvalidInput(f"{text!r} is not an ISO 3166-1 alpha-2 country code or a known country name")
    return code


@dataclass(frozen=True)
class CountryList:
    """A named set of countries with the source it was taken from (so a report can say which list it used)."""

    name: str
    source: str
    codes: frozenset[str]

    def __post_init__(self) -> None:
        unknown = sorted(c for c in self.codes if not is_country(c))
        if unknown:
            raise InvalidInput(f"country list {self.name!r}: not ISO 3166-1 alpha-2 codes: {unknown}")

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def hits(self, countries: Iterable[str]) -> frozenset[str]:
        """The given countries that are on this list."""
        return frozenset(countries) & self.codes

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "source": self.source, "countries": sorted(self.codes)}


def load_country_list(document: object) -> CountryList:
    """A list from its JSON shape ``{"name", "source", "countries": ["CD", ...]}``; codes are checked."""
    if not isinstance(document, Mapping):
        raise InvalidInput("a country list is an object with name, source and countries")
    name, source, countries = document.get("name"), document.get("source"), document.get("countries")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("country list: 'name' must be a non-empty string")
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput(f"country list {name!r}: 'source' must say where the list comes from")
    if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
        raise InvalidInput(f"country list {name!r}: 'countries' must be a list of ISO 3166-1 alpha-2 codes")
    return CountryList(name, source, frozenset(countries))


# Dodd-Frank Wall Street Reform and Consumer Protection Act §1502(e)(4); SEC Rule 13p-1 / Form SD.
COVERED_COUNTRIES = CountryList(
    name="Dodd-Frank covered countries",
    source="Dodd-Frank Act §1502(e)(4): the DRC and the countries sharing an internal border with it",
    codes=frozenset({"CD", "AO", "BI", "CF", "CG", "RW", "SS", "TZ", "UG", "ZM"}),
)


def default_cahra_list() -> CountryList:
    """The shipped default, the covered countries; users load their own with ``load_country_list``."""
    return COVERED_COUNTRIES
