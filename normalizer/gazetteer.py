"""The city's gazetteer: districts and streets/towns found in a text with one Aho-Corasick pass."""
from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from normalizer.automaton import Utf8Automaton

log = logging.getLogger(__name__)

# A district name right after "<another city>市" belongs to that other city (朝阳区 is in Beijing and Changchun).
_CITY_MARK = "市"


@dataclass(frozen=True)
class Place:
    kind: str            # "district" or "street"
    name: str            # the canonical name (江汉区, 民族街道)
    district: str | None  # for a street: its district


@dataclass(frozen=True)
class PlaceHit:
    start: int
    end: int
    place: Place


def _street_forms(name: str) -> list[str]:
    """The spellings people use for a street: 民族街道, 民族街办, 民族街."""
    if name.endswith("街道"):
        base = name[:-2]
        return [name, base + "街办", base + "街办事处", base + "街"]
    return [name]


class Gazetteer:
    """Districts and streets of the configured city; empty (finds nothing) when none is configured."""

    def __init__(self, data: Mapping[str, Any] | None = None):
        data = data or {}
        self.city = data.get("city") or None
        self.city_names = tuple(filter(None, [self.city, *(data.get("city_aliases") or [])]))
        self.streets_by_district: dict[str, list[str]] = {}
        self._automaton = Utf8Automaton()
        for district in data.get("districts") or []:
            name = district["name"]
            self.streets_by_district[name] = list(district.get("streets") or [])
            for form in [name, *(district.get("aliases") or [])]:
                self._add(form, Place("district", name, None))
            for street in district.get("streets") or []:
                for form in _street_forms(street):
                    self._add(form, Place("street", street, name))
        self._empty = len(self._automaton) == 0
        self._automaton.build()

    def _add(self, form: str, place: Place) -> None:
        # First definition wins: a street name shared by two districts keeps the first, which the file orders.
        if form not in self._automaton:
            self._automaton.add(form, place)

    @classmethod
    def from_file(cls, path: Path | None) -> "Gazetteer":
        """Load a gazetteer TOML file; a missing or broken file gives an empty gazetteer and a warning."""
        if path is None:
            return cls()
        try:
            with open(path, "rb") as fh:
                return cls(tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            log.warning("gazetteer %s not loaded (%s); districts will not be recognised", path, exc)
            return cls()

    def find(self, text: str) -> list[PlaceHit]:
        """Places named in `text`, longest match first where they overlap, in text order."""
        if self._empty or not text:
            return []
        spans = self._automaton.spans(text)
        if not spans:
            return []
        spans.sort(key=lambda span: (span[0], span[0] - span[1]))
        kept: list[PlaceHit] = []
        for start, end, place in spans:
            if kept and start < kept[-1].end:
                continue
            if place.kind == "district" and self._other_city_before(text, start):
                continue
            kept.append(PlaceHit(start, end, place))
        return kept

    def _other_city_before(self, text: str, start: int) -> bool:
        if start == 0 or text[start - 1] != _CITY_MARK:
            return False
        before = text[max(0, start - 8):start]
        return not any(before.endswith(name if name.endswith(_CITY_MARK) else name + _CITY_MARK)
                       for name in self.city_names)

    def locate(self, *texts: str) -> tuple[str | None, str | None]:
        """(district, street): the first district named (texts in order), a street consistent with it."""
        return self.locate_hits([hit for text in texts if text for hit in self.find(text)])

    @staticmethod
    def locate_hits(hits: list[PlaceHit]) -> tuple[str | None, str | None]:
        """`locate` over hits already found (texts in order), so a caller searches each text only once."""
        district = next((h.place.name for h in hits if h.place.kind == "district"), None)
        # A street in another district than the one named is a different place (or a namesake): not taken.
        street = next((h.place for h in hits if h.place.kind == "street"
                       and (district is None or h.place.district == district)), None)
        if street is not None and district is None:
            district = street.district
        return district, street.name if street else None
