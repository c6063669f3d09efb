"""Turn a ticket as a channel sent it into the clean, comparable form (`Ticket.normalized`)."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

from normalizer.ticket import Ticket

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str | None) -> str:
    """NFKC, control characters dropped, runs of white space folded to one space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


class Normalizer:
    """Loads the city's lists once; `normalize` is then a pure function of the ticket."""

    def __init__(self, profile: Mapping[str, Any] | None = None):
        self.profile = profile or {}

    def normalize(self, ticket: Ticket) -> dict[str, Any]:
        """The `normalized` part of the ticket."""
        text = clean_text(ticket.text)
        title = clean_text(ticket.title)
        return {
            "title": title or None,
            "text": text,
            "compare_text": text,
            "priority": "urgent" if ticket.urgent else "normal",
        }
