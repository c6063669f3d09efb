"""Turn a ticket as a channel sent it into the clean, comparable form (`Ticket.normalized`).

The gateway builds one `Normalizer(profile)` at start-up (all lists, automata and the taxonomy load here) and
calls `normalize(ticket)` in a worker job. `normalize` never raises: a step that fails leaves its field empty and
logs, because a report that cannot be normalized must still reach a case.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from normalizer.category import Categorizer, load_taxonomy
from normalizer.coords import to_wgs84
from normalizer.due_date import due_at
from normalizer.entities import EntityFinder
from normalizer.gazetteer import Gazetteer
from normalizer.pii import find_phones, mask_pii
from normalizer.text import CompareText, clean_text, truncate
from normalizer.ticket import Ticket
from normalizer.urgency import EmergencyDetector

log = logging.getLogger(__name__)

# Relative data paths in a profile are read from the repository's config/ directory.
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_WORKING_DAYS = 7
DEFAULT_MAX_TEXT_CHARS = 10000
# Only the head of a long report feeds the category model: the topic is stated early, and it bounds the cost.
_CATEGORY_CHARS = 300

__all__ = ["Normalizer", "clean_text", "mask_pii"]


def resolve_path(value: str | None, base: Path = CONFIG_DIR) -> Path | None:
    """A profile's data path: absolute as given, relative to config/ otherwise; None when unset."""
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else base / path


class Normalizer:
    """Loads the city's lists once; `normalize` is then a pure function of the ticket."""

    def __init__(self, profile: Mapping[str, Any] | None = None):
        self.profile = profile or {}
        section = self.profile.get("normalizer") or {}
        city = self.profile.get("city") or {}
        self.region = city.get("phone_region") or "CN"
        self.timezone = city.get("timezone") or "Asia/Shanghai"
        self.working_days = int(section.get("reply_working_days", DEFAULT_WORKING_DAYS))
        self.max_text_chars = int(section.get("max_text_chars", DEFAULT_MAX_TEXT_CHARS))
        base = resolve_path(section.get("data_dir")) or CONFIG_DIR
        self.gazetteer = Gazetteer.from_file(resolve_path(section.get("gazetteer"), base))
        self.categorizer = Categorizer(load_taxonomy(resolve_path(section.get("taxonomy"), base)),
                                       section.get("category_keywords") or {},
                                       float(section.get("category_min_confidence", 0.0)))
        self.compare = CompareText(section.get("boilerplate") or [])
        self.emergency = EmergencyDetector(section.get("emergency"))
        self.entities = EntityFinder(section.get("entity_suffixes"), section.get("generic_names") or (),
                                     section.get("known_entities"))

    def quick_emergency(self, text: str | None) -> dict[str, Any]:
        """Cheap emergency check for the request path: {"emergency", "matched", "kinds", "advice"}."""
        try:
            return self.emergency.check(text)
        except Exception:   # the request path must answer whatever happens here
            log.exception("emergency check failed")
            return {"emergency": False, "matched": [], "kinds": [], "advice": ""}

    def normalize(self, ticket: Ticket) -> dict[str, Any]:
        """The `normalized` part of the ticket (JSON-safe); never raises."""
        out: dict[str, Any] = {}
        text = _safe(lambda: clean_text(_str(ticket.text)), "")
        text, truncated = truncate(text, self.max_text_chars)
        title = _safe(lambda: clean_text(_str(ticket.title)), "") or None
        out["title"] = title
        out["text"] = text
        out["length"] = {"text_chars": len(text), "truncated": truncated}
        out["compare_text"] = _safe(lambda: self.compare(text), text)
        address = _safe(lambda: clean_text(_address(ticket)), "") or None
        places = {part: _safe(lambda: self.gazetteer.find(part), []) for part in (address, title, text) if part}
        district, street = _safe(lambda: self.gazetteer.locate_hits(
            [hit for part in (address, title, text) if part for hit in places[part]]), (None, None))
        out["district"], out["street"] = district, street
        out["entities"] = _safe(lambda: self._entities(title, text, places), [])
        out["location"] = _safe(lambda: _location(ticket, address), None)
        out["category"] = _safe(lambda: self._category(ticket, title, text),
                                {"path": None, "level1": None, "confidence": 0.0, "source": None})
        out["topic_words"] = _safe(lambda: self.categorizer.topic_words("\n".join(filter(None, [title, text]))), [])
        emergency = _safe(lambda: self.emergency.check("\n".join(filter(None, [title, text]))),
                          {"emergency": False, "matched": []})
        out["emergency"] = {"emergency": emergency["emergency"], "matched": emergency["matched"]}
        out["priority"] = "urgent" if (ticket.urgent is True or emergency["emergency"]) else "normal"
        out["due_at"] = _safe(lambda: due_at(ticket.received_at, self.working_days, self.timezone), None)
        contact_phone = getattr(ticket.contact, "phone", None) if ticket.contact else None
        out["phones"] = _safe(lambda: find_phones(text, _str(contact_phone), self.region), [])
        out["pii"] = {"masked_text": _safe(lambda: mask_pii(text), "")}
        return out

    def _entities(self, title: str | None, text: str, places: dict) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        names: set[str] = set()
        for part in filter(None, [title, text]):
            # Gazetteer streets are exact names: they go in as known spans so suffix rules do not cut them.
            known = [(h.start, h.end, h.place.name, "town") for h in places.get(part, ())
                     if h.place.kind == "street"]
            for entity in self.entities.find(part, known):
                if entity["name"] not in names:
                    names.add(entity["name"])
                    found.append(entity)
        return found

    def _category(self, ticket: Ticket, title: str | None, text: str) -> dict[str, Any]:
        channel = self.categorizer.from_channel(clean_text(_str(ticket.category)))
        if channel:
            return channel
        head = "\n".join(filter(None, [title, title, text[:_CATEGORY_CHARS]]))   # the title weighs double
        return self.categorizer.suggest(head)


def _safe(step: Callable[[], Any], default: Any) -> Any:
    try:
        return step()
    except Exception:   # one broken step must not lose the report; the log says which
        log.exception("normalizer step failed; using %r", default)
        return default


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _address(ticket: Ticket) -> str:
    if ticket.location is not None and getattr(ticket.location, "address", None):
        return _str(ticket.location.address)
    extra = ticket.extra if isinstance(ticket.extra, Mapping) else {}
    return _str(extra.get("address"))


def _location(ticket: Ticket, address: str | None) -> dict[str, Any] | None:
    loc = ticket.location
    if loc is None and not address:
        return None
    source_crs = _str(getattr(loc, "crs", None)) or "WGS-84"
    lat = getattr(loc, "lat", None)
    lng = getattr(loc, "lng", None)
    converted = to_wgs84(lat, lng, source_crs) if loc is not None else None
    if converted is None and not address:
        return None
    result: dict[str, Any] = {
        "lat": converted[0] if converted else None,
        "lng": converted[1] if converted else None,
        "crs": "WGS-84",
        "source_crs": source_crs,
        "address": address,
    }
    if converted is not None:
        result["original"] = {"lat": float(lat), "lng": float(lng), "crs": source_crs}
    return result
