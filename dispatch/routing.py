"""The profile's routing table: category × district → unit, `*` for any; the most specific route wins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

ANY = "*"


@dataclass(frozen=True)
class Route:
    category: str   # a taxonomy path prefix ("城乡建设", "城乡建设/城市建设和市政管理", a full path) or "*"
    district: str   # a district name or "*"
    unit: str

    def specificity(self, category: str | None, district: str | None) -> int | None:
        """How closely the route fits (higher is closer), or None when it does not apply."""
        if self.district != ANY and self.district != district:
            return None
        if self.category == ANY:
            depth = 0
        else:
            parts = (category or "").split("/")
            mine = self.category.split("/")
            if parts[:len(mine)] != mine:
                return None
            depth = len(mine)
        return depth * 2 + (self.district != ANY)


class RoutingTable:
    """Routes from the profile's `[[dispatch.routes]]` entries ({category, district, unit})."""

    def __init__(self, routes: Iterable[Route]):
        self.routes = list(routes)

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> "RoutingTable":
        """The table of a city profile (empty when it has none)."""
        entries = (profile.get("dispatch") or {}).get("routes") or []
        routes = []
        for entry in entries:
            if not entry.get("unit"):
                raise ValueError(f"dispatch route without a unit: {entry!r}")
            routes.append(Route(str(entry.get("category") or ANY), str(entry.get("district") or ANY),
                                str(entry["unit"])))
        return cls(routes)

    def units(self, category: str | None, district: str | None, limit: int = 3) -> list[str]:
        """The units of the routes that apply, most specific first, each once."""
        fits = sorted(((route.specificity(category, district), i, route.unit) for i, route in enumerate(self.routes)
                       if route.specificity(category, district) is not None), key=lambda f: (-f[0], f[1]))
        out: list[str] = []
        for _, _, unit in fits:
            if unit not in out:
                out.append(unit)
        return out[:limit]

    def __len__(self) -> int:
        return len(self.routes)
