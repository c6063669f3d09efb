"""Compare two fingerprints: shared names, place conflicts, text and title similarity, and the score."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from dedupe import sketch
from dedupe.fingerprint import split_name
from dedupe.profile import DedupeSettings

# Subkinds where two different names in the two titles mean two different places (so two cases).
CONFLICT_SUBKINDS = {"community", "road", "village", "group", "town", "school", "hospital", "company", "shop",
                     "project", "bus_line", "community_office"}

# A title's topic (its words less its places) needs this many 2-grams to say what the problem is.
MIN_TOPIC_GRAMS = 3

# A shared town or bus line says less than a shared compound or company: many cases share one town.
KIND_BONUS = {"town": 0.7, "bus_line": 0.5, "community_office": 0.7}


@dataclass
class Comparison:
    """Everything one candidate was judged on; `evidence()` is what operators see."""

    text: float = 0.0
    containment: float = 0.0
    title: float = 0.0
    topic: float | None = None
    topic_shared: int = 0
    shared: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    shared_admin: list[str] = field(default_factory=list)
    same_citizen: bool = False
    bonus: float = 0.0
    score: float = 0.0

    def evidence(self) -> dict[str, Any]:
        """The features as plain, rounded values."""
        return {"text_similarity": round(self.text, 3), "text_containment": round(self.containment, 3),
                "title_similarity": round(self.title, 3),
                "topic_similarity": None if self.topic is None else round(self.topic, 3), "shared_names": self.shared,
                "place_conflicts": self.conflicts, "shared_admin_units": self.shared_admin,
                "same_citizen": self.same_citizen, "score": round(self.score, 3)}


def same_name(a: list, b: list) -> bool:
    """One place: one core ends with the other (东湖新华路 / 新华路) and the suffixes agree or the core is long."""
    ca, cb = a[0], b[0]
    if a[2] == "bus_line" or b[2] == "bus_line":
        return a[2] == b[2] and ca == cb
    short, long_ = (ca, cb) if len(ca) <= len(cb) else (cb, ca)
    if len(short) < 2 or not long_.endswith(short):
        return False
    if a[1] == b[1] or len(short) >= 3:
        return True
    return a[2] == b[2] == "community"  # 银杏花园 / 银杏小区


def name_letters(entity: list) -> str | None:
    """An order-free form of a name (sorted core characters and the suffix), for cores of 3+ characters."""
    core = entity[0]
    return "".join(sorted(core)) + entity[1] if len(core) >= 3 and entity[2] != "bus_line" else None


def reordered_name(a: list, b: list) -> bool:
    """The same characters in another order, same suffix, 3+ characters (柳家湾原菜市场 / 原柳家湾菜市场).

    Two different places whose names hold exactly the same three or more characters under one suffix are
    rare; a reordered name is how one place is written by two people.
    """
    la = name_letters(a)
    return la is not None and la == name_letters(b) and a[2] == b[2]


def near_name(a: list, b: list) -> bool:
    """A likely misspelling of the same name (新华 / 华新): no conflict, though not a shared name either."""
    ca, cb = a[0], b[0]
    if a[2] != b[2] or len(ca) < 2 or len(cb) < 2:
        return False
    if a[2] == "community" and (ca.startswith(cb) or cb.startswith(ca)):
        return True  # a compound's name without its tail (栖霞 / 栖霞府, 雁湖 / 雁湖壹号): what residents call it
    if len(ca) != len(cb):
        return False
    if sorted(ca) == sorted(cb):
        return True
    return len(ca) >= 3 and sum(x != y for x, y in zip(ca, cb)) == 1


def _same_road(a: str, b: str) -> bool:
    """Two road names (as written) are one road, as `same_name` or `near_name` read two names."""
    if a == b:
        return True
    (ca, sa), (cb, sb) = split_name(a), split_name(b)
    x, y = [ca, sa, "road", 1], [cb, sb, "road", 1]
    return same_name(x, y) or near_name(x, y)


def _same_crossing(x: list, y: list) -> bool:
    """Two crossings (pairs of road names, `dedupe.places.crossings`) are one: both roads the same, in either order."""
    return (_same_road(x[0], y[0]) and _same_road(x[1], y[1])) or (_same_road(x[0], y[1]) and _same_road(x[1], y[0]))


def any_crossing_conflict(ca: list | None, cb: list | None) -> bool:
    """Both name crossings (`dedupe.places.crossings`) and none of one is a crossing of the other: two places, as
    two compounds are (槐安路与青禾路交叉口 / 槐安路与柏溪路交叉口: one road in common, so no road conflicts)."""
    return bool(ca and cb) and not any(_same_crossing(x, y) for x in ca for y in cb)


def crossing_conflicts(ca: list | None, cb: list | None) -> list[str]:
    """`any_crossing_conflict` written out for operators."""
    if not any_crossing_conflict(ca, cb):
        return []
    return [f"{ca[0][0]}与{ca[0][1]}交叉口 ≠ {cb[0][0]}与{cb[0][1]}交叉口"]


def place_conflicts(ea: list[list], eb: list[list], subs: set[str]) -> list[str]:
    """Of `subs` (subkinds both titles name), those where no name of one matches any name of the other."""
    out = []
    for sub in sorted(subs):
        pa = [e for e in ea if e[2] == sub and e[3]]
        pb = [e for e in eb if e[2] == sub and e[3]]
        all_a = [e for e in ea if e[2] == sub]
        all_b = [e for e in eb if e[2] == sub]
        if any(same_name(x, y) or near_name(x, y) for x in pa for y in all_b) or \
                any(same_name(x, y) or near_name(x, y) for x in pb for y in all_a):
            continue
        out.append(f"{pa[0][0]}{pa[0][1]} ≠ {pb[0][0]}{pb[0][1]}")
    return out


def names_by_subkind(entities: list[list]) -> dict[str, tuple[list, list]]:
    """Each subkind a primary name has → (its primary names, all its names) as (core, suffix, subkind) tuples: what
    `place_conflicts` reads of one report, taken once per report rather than once per pair."""
    subs = dict.fromkeys(e[2] for e in entities if e[3])
    return {sub: (tuple((e[0], e[1], e[2]) for e in entities if e[2] == sub and e[3]),
                  tuple((e[0], e[1], e[2]) for e in entities if e[2] == sub)) for sub in subs}


@lru_cache(maxsize=1 << 16)
def _two_places(a: tuple[tuple, tuple], b: tuple[tuple, tuple]) -> bool:
    """One subkind's names of two reports (`names_by_subkind`'s pairs) hold no place in common, as `place_conflicts`
    judges it; remembered: one city's names meet each other again and again."""
    pa, all_a = a
    pb, all_b = b
    return not (any(same_name(x, y) or near_name(x, y) for x in pa for y in all_b)
                or any(same_name(x, y) or near_name(x, y) for x in pb for y in all_a))


def has_place_conflict(a: dict[str, tuple], b: dict[str, tuple], subs) -> bool:
    """`bool(place_conflicts(...))` from both reports' `names_by_subkind` (each of `subs` in both), stopping at the
    first conflicting subkind."""
    for sub in subs:
        if _two_places(a[sub], b[sub]):
            return True
    return False


def any_door_conflict(na: list[list], nb: list[list], gap: int) -> bool:
    """`bool(door_conflicts(...))`, without writing the conflicts out."""
    return any(a[0] == b[0] and a[1] == b[1] and abs(a[2] - b[2]) > gap for a in na for b in nb)


def door_conflicts(na: list[list], nb: list[list], gap: int) -> list[str]:
    """Two door numbers on one road further apart than `gap`: two places, however alike the texts."""
    return [f"{a[0]}{a[1]}{a[2]}号 ≠ {b[2]}号" for a in na for b in nb
            if a[0] == b[0] and a[1] == b[1] and abs(a[2] - b[2]) > gap]


def name_keys(entities) -> tuple[tuple, tuple]:
    """The tails and letters `NameIndex.shared` looks a report's names up by (see `NameIndex.may_share`)."""
    return tuple(e[0][-2:] for e in entities), tuple(filter(None, map(name_letters, entities)))


class NameIndex:
    """A report's names, indexed to find the names of another report that are one place with them.

    Two names can only be one (one core ends with the other, two characters at least) if their cores end alike:
    the other report's names are looked up by the last two characters of the core, and misspellings (邦华 / 华邦)
    by their letters.
    """

    def __init__(self, entities: list[list]):
        self.by_tail: dict[str, list[list]] = {}
        self.by_letters: dict[str, list[list]] = {}
        for e in entities:
            self.by_tail.setdefault(e[0][-2:], []).append(e)
            letters = name_letters(e)
            if letters:
                self.by_letters.setdefault(letters, []).append(e)
        self.letter_sizes = {len(e[0]) for e in entities if name_letters(e)}

    def may_share(self, keys: tuple[tuple, tuple]) -> bool:
        """False when `shared` of names with these `name_keys` is surely empty (no tail nor letters in common)."""
        return not (self.by_tail.keys().isdisjoint(keys[0]) and self.by_letters.keys().isdisjoint(keys[1]))

    def shared(self, others) -> list[tuple[list, list]]:
        """Pairs (this report's name, the other's) that are one place, one of them primary (title or lead)."""
        shared = []
        by_tail, by_letters = self.by_tail, self.by_letters
        for y in others:
            for x in by_tail.get(y[0][-2:], ()):
                if (x[3] or y[3]) and same_name(x, y):
                    shared.append((x, y))
            if by_letters and len(y[0]) in self.letter_sizes:
                for x in by_letters.get(name_letters(y), ()):
                    if (x[3] or y[3]) and x[2] == y[2] and not same_name(x, y):
                        shared.append((x, y))
        return shared


ADMIN_LEVELS = ("province", "city", "county", "district", "district_n", "street_n")


def units_by_level(units: list[list]) -> dict[str, set[str]]:
    levels: dict[str, set[str]] = {}
    for name, level in units:
        levels.setdefault(level, set()).add(name)
    return levels


class Probe:
    """The new report's fingerprint decoded once, judged against any number of candidates.

    Candidates' fingerprints arrive as plain JSON each time (the live index keeps no decoded state across
    processes), so everything here reads a candidate in one cheap pass: place conflicts first (most
    "same template, other place" candidates stop there), the sketches only for those that remain.
    """

    def __init__(self, fingerprint: Mapping[str, Any], settings: DedupeSettings):
        self.fp = fingerprint
        self.settings = settings
        self.entities = fingerprint.get("e") or []
        self.primary_subs = {e[2] for e in self.entities if e[3]} & CONFLICT_SUBKINDS
        self.admin = fingerprint.get("a") or []
        self.numbers = fingerprint.get("no") or []
        self.admin_levels = units_by_level(self.admin)
        self.citizen = fingerprint.get("c")
        self.size = fingerprint.get("n", 0)
        self.decoded = False  # names by tail and the sketches: decoded for the first candidate compared

    def _decode(self) -> None:
        fingerprint = self.fp
        self.names = NameIndex(self.entities)
        self.text = sketch.unpack(fingerprint.get("t", ""))
        self.text_set = set(self.text)
        self.title = sketch.unpack(fingerprint.get("h", ""), 2)
        self.title_set = set(self.title)
        self.topic = sketch.unpack(fingerprint.get("p", ""), 2)
        self.topic_set = set(self.topic)
        self.decoded = True

    def conflicts(self, fb: Mapping[str, Any]) -> list[str]:
        """Place conflicts with a candidate: two different places of one subkind, or admin units, in titles."""
        out: list[str] = []
        eb = fb.get("e")
        if eb and self.primary_subs:
            subs = self.primary_subs.intersection([e[2] for e in eb if e[3]])
            if subs:
                out = place_conflicts(self.entities, eb, subs)
        ab = fb.get("a")
        if ab and self.admin:
            other = units_by_level(ab)
            for level in ADMIN_LEVELS:
                na, nb = self.admin_levels.get(level), other.get(level)
                if na and nb and not na & nb:
                    out.append(f"{min(na)} ≠ {min(nb)}")
        numbers = fb.get("no")
        if numbers and self.numbers and self.settings.door_number_gap is not None:
            out += door_conflicts(self.numbers, numbers, self.settings.door_number_gap)
        return out

    def compare(self, fb: Mapping[str, Any], conflicts: list[str] | None = None) -> Comparison:
        """Judge one candidate (`conflicts`: already computed by `conflicts`)."""
        settings = self.settings
        cmp = Comparison()
        cmp.conflicts = self.conflicts(fb) if conflicts is None else conflicts
        cmp.same_citizen = bool(self.citizen) and self.citizen == fb.get("c")
        ab = fb.get("a")
        if ab and self.admin:
            cmp.shared_admin = sorted({a[0] for a in self.admin} & {b[0] for b in ab})
        if cmp.conflicts:
            return cmp  # two different places: the texts need not be compared (score stays 0)
        if not self.decoded:
            self._decode()
        cmp.text = sketch.jaccard(self.text, sketch.unpack(fb.get("t", "")), settings.sketch_size, self.text_set)
        cmp.containment = sketch.containment(cmp.text, self.size, fb.get("n", 0))
        cmp.title = sketch.jaccard(self.title, sketch.unpack(fb.get("h", ""), 2), settings.title_grams,
                                   self.title_set)
        topic_b = sketch.unpack(fb.get("p", ""), 2)
        # A title that says little beyond its places (光明路下穿隧道的问题) has no topic of its own to compare.
        if len(self.topic) >= MIN_TOPIC_GRAMS and len(topic_b) >= MIN_TOPIC_GRAMS:
            cmp.topic = sketch.jaccard(self.topic, topic_b, settings.topic_grams)
        # Only a name in the title (or lead) of one of the two counts: a road both merely pass by does not.
        shared = self.names.shared(fb.get("e") or ())
        if topic_b and self.topic:
            cmp.topic_shared = len(self.topic_set.intersection(topic_b))
        if shared:
            cmp.shared = sorted({min(x[0] + x[1], y[0] + y[1], key=len) for x, y in shared})
            cmp.bonus = max(KIND_BONUS.get(x[2], 1.0) if x[2] == y[2] else 1.0 for x, y in shared)
        cmp.score = score(cmp, settings)
        return cmp


def compare(fa: Mapping[str, Any], fb: Mapping[str, Any], settings: DedupeSettings) -> Comparison:
    """Judge one pair of fingerprints (a `Probe` judges many candidates against one report faster)."""
    return Probe(fa, settings).compare(fb)


def score(cmp: Comparison, settings: DedupeSettings) -> float:
    """0 on a place conflict; else text similarity + weighted title similarity + a shared-name bonus."""
    if cmp.conflicts:
        return 0.0
    text = max(cmp.text, settings.containment_weight * cmp.containment)
    if text < settings.min_text_without_entity:
        if not cmp.shared and cmp.topic_shared < settings.min_shared_topic:
            # Alike titles alone (咨询某市医保问题) are different people's own matters under one policy;
            # titles that share a long specific phrase beyond their places (环卫工人夏季高温补贴发放,
            # 学区划片入学政策) name one matter, however differently the texts tell it.
            return 0.0
        if cmp.topic == 0.0:
            return 0.0  # the same place, but neither the titles' topics nor the texts share a word: two problems
    return text + settings.title_weight * cmp.title + settings.entity_bonus * cmp.bonus
