"""Compare two fingerprints: shared names, place conflicts, text and title similarity, and the score."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from dedupe import sketch
from dedupe.profile import DedupeSettings

# Subkinds where two different names in the two titles mean two different places (so two cases).
CONFLICT_SUBKINDS = {"community", "road", "village", "group", "town", "school", "hospital", "company", "shop",
                     "project", "bus_line", "community_office"}

# A shared town or bus line says less than a shared compound or company: many cases share one town.
KIND_BONUS = {"town": 0.7, "bus_line": 0.5, "community_office": 0.7}


@dataclass
class Comparison:
    """Everything one candidate was judged on; `evidence()` is what operators see."""

    text: float = 0.0
    containment: float = 0.0
    title: float = 0.0
    shared: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    shared_admin: list[str] = field(default_factory=list)
    same_citizen: bool = False
    bonus: float = 0.0
    score: float = 0.0

    def evidence(self) -> dict[str, Any]:
        """The features as plain, rounded values."""
        return {"text_similarity": round(self.text, 3), "text_containment": round(self.containment, 3),
                "title_similarity": round(self.title, 3), "shared_names": self.shared,
                "place_conflicts": self.conflicts, "shared_admin_units": self.shared_admin,
                "same_citizen": self.same_citizen, "score": round(self.score, 3)}


def _same_name(a: list, b: list) -> bool:
    """One place: one core ends with the other (星沙宁华路 / 宁华路) and the suffixes agree or the core is long."""
    ca, cb = a[0], b[0]
    if a[2] == "bus_line" or b[2] == "bus_line":
        return a[2] == b[2] and ca == cb
    short, long_ = (ca, cb) if len(ca) <= len(cb) else (cb, ca)
    if len(short) < 2 or not long_.endswith(short):
        return False
    if a[1] == b[1] or len(short) >= 3:
        return True
    return a[2] == b[2] == "community"  # 金地花园 / 金地小区


def _near_name(a: list, b: list) -> bool:
    """A likely misspelling of the same name (邦华 / 华邦): no conflict, though not a shared name either."""
    ca, cb = a[0], b[0]
    if a[2] != b[2] or len(ca) < 2 or len(ca) != len(cb):
        return False
    if sorted(ca) == sorted(cb):
        return True
    return len(ca) >= 3 and sum(x != y for x, y in zip(ca, cb)) == 1


def _conflicts(ea: list[list], eb: list[list]) -> list[str]:
    """Subkinds where both titles name a place and no name of one matches any name of the other."""
    out = []
    subs = {e[2] for e in ea if e[3]} & {e[2] for e in eb if e[3]} & CONFLICT_SUBKINDS
    for sub in sorted(subs):
        pa = [e for e in ea if e[2] == sub and e[3]]
        pb = [e for e in eb if e[2] == sub and e[3]]
        all_a = [e for e in ea if e[2] == sub]
        all_b = [e for e in eb if e[2] == sub]
        if any(_same_name(x, y) or _near_name(x, y) for x in pa for y in all_b) or \
                any(_same_name(x, y) or _near_name(x, y) for x in pb for y in all_a):
            continue
        out.append(f"{pa[0][0]}{pa[0][1]} ≠ {pb[0][0]}{pb[0][1]}")
    return out


def _admin_conflicts(aa: list[list], ab: list[list]) -> tuple[list[str], list[str]]:
    """(shared admin units, conflicts: same level named in both titles with nothing in common)."""
    shared = sorted({a[0] for a in aa} & {b[0] for b in ab})
    conflicts = []
    for level in ("province", "city", "county", "district", "district_n"):
        na = {a[0] for a in aa if a[1] == level}
        nb = {b[0] for b in ab if b[1] == level}
        if na and nb and not na & nb:
            conflicts.append(f"{min(na)} ≠ {min(nb)}")
    return shared, conflicts


def compare(fa: Mapping[str, Any], fb: Mapping[str, Any], settings: DedupeSettings,
            cache: dict | None = None) -> Comparison:
    """Judge one pair of fingerprints; `cache` keeps the decoded sketches of `fa` across candidates."""
    cache = cache if cache is not None else {}
    cmp = Comparison()
    ea, eb = fa.get("e", []), fb.get("e", [])
    cmp.conflicts = _conflicts(ea, eb)
    cmp.shared_admin, admin_conflicts = _admin_conflicts(fa.get("a", []), fb.get("a", []))
    cmp.conflicts += admin_conflicts
    cmp.same_citizen = bool(fa.get("c")) and fa.get("c") == fb.get("c")
    if cmp.conflicts:
        return cmp  # two different places: the texts need not be compared (score stays 0)
    if "t" not in cache:
        cache["t"] = sketch.unpack(fa.get("t", ""))
        cache["h"] = sketch.unpack(fa.get("h", ""), 2)
        cache["ts"], cache["hs"] = set(cache["t"]), set(cache["h"])
    tb, hb = sketch.unpack(fb.get("t", "")), sketch.unpack(fb.get("h", ""), 2)
    cmp.text = sketch.jaccard(cache["t"], tb, settings.sketch_size, cache["ts"])
    cmp.containment = sketch.containment(cmp.text, fa.get("n", 0), fb.get("n", 0))
    cmp.title = sketch.jaccard(cache["h"], hb, settings.title_grams, cache["hs"])
    # Only a name in the title (or lead) of one of the two counts: a road both merely pass by does not.
    shared = [(x, y) for x in ea for y in eb if (x[3] or y[3]) and _same_name(x, y)]
    cmp.shared = sorted({min(x[0] + x[1], y[0] + y[1], key=len) for x, y in shared})
    cmp.bonus = max((KIND_BONUS.get(x[2], 1.0) if x[2] == y[2] else 1.0 for x, y in shared), default=0.0)
    cmp.score = score(cmp, settings)
    return cmp


def score(cmp: Comparison, settings: DedupeSettings) -> float:
    """0 on a place conflict; else text similarity + weighted title similarity + a shared-name bonus."""
    if cmp.conflicts:
        return 0.0
    text = max(cmp.text, settings.containment_weight * cmp.containment)
    if not cmp.shared and text < settings.min_text_without_entity:
        return 0.0  # alike titles alone (咨询某市医保问题) are different people's own matters
    return text + settings.title_weight * cmp.title + settings.entity_bonus * cmp.bonus
