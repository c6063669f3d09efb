"""The city's three-level category taxonomy for the call-entry form, loaded once, searchable."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from normalizer.category import load_taxonomy
from normalizer.normalize import CONFIG_DIR, resolve_path


@dataclass(frozen=True)
class Category:
    path: str          # 一级/二级/三级, the form the normalizer maps onto the taxonomy
    levels: tuple[str, str, str]


class Taxonomy:
    """All categories in file order (the form offers them in a searchable list)."""

    def __init__(self, rows: list[tuple[str, str, str]]):
        self.categories = [Category("/".join(row), tuple(row)) for row in rows]
        self.paths = {c.path for c in self.categories}

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> "Taxonomy":
        """The taxonomy the profile's normalizer uses (`[normalizer] taxonomy`, relative to config/)."""
        section = profile.get("normalizer") or {}
        base = resolve_path(section.get("data_dir")) or CONFIG_DIR
        return cls(load_taxonomy(resolve_path(section.get("taxonomy"), base)))

    def __contains__(self, path: str) -> bool:
        return path in self.paths
