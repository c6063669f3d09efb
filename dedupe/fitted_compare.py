"""Compare two fingerprints: the features (IDF-weighted similarity, shared and conflicting names) and the score."""
from __future__ import annotations

import math
from operator import mul
from dataclasses import dataclass, field
from typing import Any, Mapping

from dedupe.compare import (ADMIN_LEVELS, NameIndex, any_crossing_conflict, any_door_conflict, crossing_conflicts,
                            door_conflicts, has_place_conflict, names_by_subkind, place_conflicts, units_by_level)
from dedupe.fitted_decoded import RAREST, DecodedFingerprint, char_weights_of, names_of, one_char, topic_chars
from dedupe.fitted_fingerprint import EXACT_WEIGHT_SUMS, unpack_grams
from dedupe.model import Model

# Subkinds where two different names in the two titles mean two different places (so two cases).
CONFLICT_SUBKINDS = {"community", "road", "village", "group", "town", "school", "hospital", "company", "shop",
                     "project", "bus_line", "community_office"}

# The features read from the topic (the bigrams outside both reports' names): the costliest to measure.
TOPIC_FEATURES = {"topic_cosine", "text_containment", "place_x_topic", "rare_x_topic"}

# A shared town, bus line or 社区 office says less than a shared compound or company: many cases share one.
AREA_SUBKINDS = {"town", "bus_line", "community_office"}


@dataclass
class Comparison:
    """Everything one candidate was judged on; `evidence()` is what operators see."""

    features: dict[str, float] = field(default_factory=dict)
    contributions: dict[str, float] = field(default_factory=dict)
    shared: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    shared_admin: list[str] = field(default_factory=list)
    same_citizen: bool = False
    logit: float = 0.0
    score: float = 0.0  # the probability that the two reports are one case

    def evidence(self) -> dict[str, Any]:
        """The features, each one's contribution to the log-odds, and the names behind them."""
        return {"score": round(self.score, 3), "log_odds": round(self.logit, 3),
                "features": {k: round(v, 3) for k, v in self.features.items()},
                "contributions": {k: round(v, 3) for k, v in self.contributions.items() if v},
                "shared_names": self.shared, "place_conflicts": self.conflicts,
                "shared_admin_units": self.shared_admin, "same_citizen": self.same_citizen}


class Probe:
    """The new report's fingerprint decoded once, judged against any number of candidates.

    Candidates' fingerprints arrive as plain JSON (the live index keeps no decoded state across processes); the
    new report's own bigram weights (stored with its hashes) weigh what two reports share.
    """

    def __init__(self, fingerprint: Mapping[str, Any], model: Model | None = None, received_at=None,
                 door_gap: int | None = 100):
        self.fp = fingerprint
        self.numbers = fingerprint.get("no") or []
        self.buildings = frozenset(fingerprint.get("bn") or ())
        self.crossings = fingerprint.get("cr")
        self.door_gap = door_gap
        self.model = model or Model.default()
        self.received_at = received_at
        self.entities = fingerprint.get("e") or []
        self.primary_subs = {e[2] for e in self.entities if e[3]} & CONFLICT_SUBKINDS
        self.admin = fingerprint.get("a") or []
        self.admin_levels = units_by_level(self.admin)
        self.citizen = fingerprint.get("c")
        hashes, weights = unpack_grams(fingerprint.get("g", ""), fingerprint.get("w", ""))
        self.grams = dict(zip(hashes, weights))
        self.rarest = hashes[:RAREST]
        # The bigrams of the names it states (places, admin units): what is left is what the report is about.
        self.name_grams = names_of(fingerprint)
        self.norm = fingerprint.get("gn") or 0.0
        self.size = fingerprint.get("n", 0)
        hashes, weights = unpack_grams(fingerprint.get("h", ""), fingerprint.get("hw", ""))
        self.title = dict(zip(hashes, weights))
        self.title_norm = fingerprint.get("hn") or 0.0
        self.chars = dict(zip(fingerprint.get("u") or "", char_weights_of(fingerprint)))
        self.chars_norm = math.sqrt(sum(w * w for w in self.chars.values()))
        # The IDF a bigram never seen would have had: the scale of "rare" for this report.
        self.top_weight = max(self.grams.values(), default=0.0) or 1.0
        self.names = NameIndex(self.entities)
        self.by_subkind = names_by_subkind(self.entities)
        # A candidate's conflict is asked for twice (its features, then whether its case is held apart).
        self.conflicted: dict[int, tuple[DecodedFingerprint, bool]] = {}
        # Read once here rather than per candidate (each the same float `features` used to compute per pair).
        self.rarest_set = set(self.rarest)
        self.rarest_unique = len(self.rarest_set) == len(self.rarest)
        self.rare_floor = 0.6 * self.top_weight
        self.title_sq = {h: w ** 2 for h, w in self.title.items()}
        self.chars_sq = {one_char(c): w ** 2 for c, w in self.chars.items()}
        # Sets to intersect with a decoded candidate's (see `DecodedFingerprint.hash_set`).
        self.gram_set = frozenset(self.grams)
        self.title_set = frozenset(self.title_sq)
        self.char_set = frozenset(self.chars_sq)
        self.chars_mass = self.chars_norm ** 2
        # Stored weights (v5) are exact sixteenths: sums of their squares are the same float in any order.
        self.chars_exact = EXACT_WEIGHT_SUMS and fingerprint.get("uw") is not None
        self.admin_names = {a[0] for a in self.admin}
        self.topic = topic_chars(fingerprint)
        # The model's terms that count: a feature with coefficient 0 adds exactly 0.0 to the log-odds.
        self.term_names, self.term_coefs = self.model.weighed
        self.weighs_topic = not TOPIC_FEATURES.isdisjoint(self.term_names)
        self.weighs_rare = "rare_shared" in self.term_names
        self.weighs_swap_chars = "swap_chars" in self.term_names
        # Neither a primary name, a door number nor a crossing: no candidate can conflict (most untitled short
        # reports).
        self.can_conflict = bool(self.primary_subs) or bool(self.numbers and door_gap is not None) or bool(
            self.crossings)

    def conflicts(self, fb: Mapping[str, Any]) -> list[str]:
        """Place conflicts with a candidate: two different places of one subkind in titles, door numbers far apart
        on one road, or two crossings."""
        out: list[str] = []
        eb = fb.get("e")
        if eb and self.primary_subs:
            subs = self.primary_subs.intersection([e[2] for e in eb if e[3]])
            if subs:
                out = place_conflicts(self.entities, eb, subs)
        return out + self.door_conflicts(fb) + crossing_conflicts(self.crossings, fb.get("cr"))

    def door_conflicts(self, fb: Mapping[str, Any]) -> list[str]:
        """Door numbers far apart on one road (解放大道354号 / 1731号): two places, however alike the texts."""
        numbers = fb.get("no")
        if numbers and self.numbers and self.door_gap is not None:
            return door_conflicts(self.numbers, numbers, self.door_gap)
        return []

    def has_door_conflict(self, dec: DecodedFingerprint) -> bool:
        """`door_conflicts` of a decoded candidate, as a yes or no."""
        numbers = dec.numbers
        return bool(numbers and self.numbers and self.door_gap is not None
                    and any_door_conflict(self.numbers, numbers, self.door_gap))

    def has_building_conflict(self, dec: DecodedFingerprint) -> bool:
        """Both give building numbers and none in common (3栋 / 5栋): two buildings, so two lifts, two outages."""
        return bool(self.buildings and dec.buildings and self.buildings.isdisjoint(dec.buildings))

    def building_conflicts(self, dec: DecodedFingerprint) -> list[str]:
        """`has_building_conflict` written out for operators."""
        if not self.has_building_conflict(dec):
            return []
        return ["、".join(f"{n}栋" for n in self.fp.get("bn")) + " ≠ " + "、".join(f"{n}栋" for n in dec.fp.get("bn"))]

    def has_conflict(self, dec: DecodedFingerprint) -> bool:
        """`conflicts` of a decoded candidate, as a yes or no."""
        if not self.can_conflict:
            return False
        known = self.conflicted.get(id(dec))
        if known is not None and known[0] is dec:
            return known[1]
        conflict = False
        if self.primary_subs and dec.entities:
            subs = self.primary_subs & dec.primary_subs
            conflict = bool(subs) and has_place_conflict(self.by_subkind, dec.by_subkind, subs)
        conflict = conflict or self.has_door_conflict(dec) or any_crossing_conflict(self.crossings, dec.crossings)
        self.conflicted[id(dec)] = (dec, conflict)  # the entry holds `dec`: its id is not reused meanwhile
        return conflict

    def has_topic_conflict(self, dec: DecodedFingerprint) -> bool:
        """Both name words of the city's topic vocabulary and share no character of them (电梯 / 停水; 暖气 / 供暖
        share 暖, a retelling in other words)."""
        return bool(self.topic) and bool(dec.topic) and self.topic.isdisjoint(dec.topic)

    def has_admin_conflict(self, dec: DecodedFingerprint) -> bool:
        """`admin_conflicts` of a decoded candidate, as a yes or no."""
        if dec.admin and self.admin:
            other, mine = dec.admin_levels, self.admin_levels
            for level in ADMIN_LEVELS:
                na, nb = mine.get(level), other.get(level)
                if na and nb and not na & nb:
                    return True
        return False

    def admin_conflicts(self, fb: Mapping[str, Any]) -> list[str]:
        """Admin units of one level named by both with nothing in common (A7县 / A8县)."""
        out = []
        ab = fb.get("a")
        if ab and self.admin:
            other = units_by_level(ab)
            for level in ADMIN_LEVELS:
                na, nb = self.admin_levels.get(level), other.get(level)
                if na and nb and not na & nb:
                    out.append(f"{min(na)} ≠ {min(nb)}")
        return out

    def shared_names(self, fb: Mapping[str, Any]) -> list[tuple[list, list]]:
        """Pairs of names (one of them primary) that are one place."""
        return self.names.shared(fb.get("e") or ())

    def features(self, fb: Mapping[str, Any], received_at=None, cand_at=None) -> dict[str, float]:
        """The model's features for one candidate (see `dedupe.model.FEATURES`)."""
        return self.measure(DecodedFingerprint(fb), received_at, cand_at)

    def measure(self, dec: DecodedFingerprint, received_at=None, cand_at=None, lean: bool = False
                ) -> dict[str, float]:
        """`features` of a decoded candidate. `lean=True` leaves at 0 the costlier features the model does not weigh
        (the four topic features, rare_shared, swap_chars): a model whose coefficients for them are 0 need not pay
        for them."""
        topic = not lean or self.weighs_topic
        hashes = dec.hashes
        grams = self.grams
        if dec.distinct and EXACT_WEIGHT_SUMS:
            # One set intersection in C; the order of the shared weights no longer matters (sums of their squares
            # are exact, see EXACT_WEIGHT_SUMS), nor their multiplicity (the hashes are distinct).
            shared = self.gram_set & dec.hash_set
            shared_w = list(map(grams.__getitem__, shared))
        else:
            shared_w = [w for w in map(grams.get, hashes) if w is not None]
            shared = set(h for h in hashes if h in grams)
        topic_cos = contain = 0.0
        if topic:
            # The topic: both reports' bigrams less the names either states (a shared compound is not a shared
            # problem).
            names = self.name_grams | dec.name_grams
            cand_w = dec.weights
            topic_a = sum(w * w for h, w in grams.items() if h not in names)
            topic_b = sum(w * w for h, w in zip(hashes, cand_w) if h not in names)
            topic_s = sum(grams[h] * w for h, w in zip(hashes, cand_w) if h in grams and h not in names)
            topic_cos = min(1.0, topic_s / math.sqrt(topic_a * topic_b) if topic_a and topic_b else 0.0)
            # Containment over the topic too (a short follow-up inside a long report, or a near repeat); for a
            # template posted elsewhere it is alike text at another place.
            contain = topic_s / min(topic_a, topic_b) if topic_a and topic_b else 0.0
        # The rarest bigrams of each that the other lacks: a template posted for another place differs exactly
        # there. Each side's separately too: a complaint copied for another place lacks the other's name on BOTH
        # sides, a repeat on neither, a follow-up on one.
        rarest, head = self.rarest, dec.head
        if shared_w:
            s = sum([w * w for w in shared_w])
            # The rarest of either that the other holds are shared bigrams.
            in_cand = self.rarest_set.intersection(shared)
            own_a_n = len(rarest) - len(in_cand) if self.rarest_unique else sum(
                1 for h in rarest if h not in in_cand)
            own_b_n = len(head) - len(shared.intersection(head)) if dec.distinct else len(
                [h for h in head if h not in grams])
            rarest_shared = max(shared_w) / self.top_weight
            floor = self.rare_floor
            rare = len([w for w in shared_w if w >= floor]) if not lean or self.weighs_rare else 0
        else:  # nothing shared: every rare bigram of either is the other's lack
            s = 0
            own_a_n, own_b_n = len(rarest), len(head)
            rarest_shared = 0.0
            rare = 0
        rare_unshared = (own_a_n + own_b_n) / max(1, len(rarest) + len(head))
        own_a = own_a_n / max(1, len(rarest))
        own_b = own_b_n / max(1, len(head))
        nb = dec.norm
        na = self.norm
        alike = min(1.0, s / min(na * na, nb * nb) if na and nb else 0.0)
        title_cos = 0.0
        both_titles = 0.0
        if dec.has_title and self.title:
            both_titles = 1.0
            tb = dec.title_norm
            if self.title_norm and tb:
                if dec.title_distinct:  # each shared bigram once, in any order (exact sums)
                    ts = sum(map(self.title_sq.__getitem__, self.title_set & dec.title_set))
                else:
                    ts = sum([x for x in map(self.title_sq.get, dec.title) if x is not None])
                title_cos = ts / (self.title_norm * tb)
        strong = area = False
        roads_only = True
        if dec.entities and self.entities and self.names.may_share(dec.name_keys):
            for x, y in self.names.shared(dec.entities):
                if x[2] == y[2] and x[2] in AREA_SUBKINDS:
                    area = True
                else:
                    strong = True
                    if x[2] != "road" or y[2] != "road":
                        roads_only = False
        days = 0.0
        if received_at is not None and cand_at is not None:
            days = abs((received_at - cand_at).total_seconds()) / 86400
        char_cosine = 0.0
        swap_chars = 0.0
        other = dec.chars
        if other and self.chars_norm:
            if self.chars_exact and dec.chars_distinct:  # each shared character once, in any order
                shared_c = sum(map(self.chars_sq.__getitem__, self.char_set & dec.char_set))
            else:
                shared_c = sum([x for x in map(self.chars_sq.get, other) if x is not None])
            char_cosine = shared_c / (self.chars_norm * dec.chars_root)
            # Alike characters, yet each side has telling characters of its own (湖滨菜场 / 桂园菜场).
            if not lean or self.weighs_swap_chars:
                swap_chars = char_cosine ** 3 * min(1.0 - shared_c / self.chars_mass, 1.0 - shared_c / dec.chars_mass)
        conflict = 1.0 if self.has_conflict(dec) else 0.0
        place = 1.0 if strong else 0.0
        return {
            "topic_cosine": topic_cos,
            "rare_unshared": rare_unshared,
            "text_containment": min(1.0, contain),
            "title_cosine": title_cos,
            "both_titles": both_titles,
            "rare_shared": math.log1p(rare),
            "rarest_shared": rarest_shared,
            "shared_place": place,
            "shared_area": 1.0 if area and not strong else 0.0,
            "road_only": 1.0 if strong and roads_only else 0.0,
            "road_topics_apart": 1.0 if strong and roads_only and self.has_topic_conflict(dec) else 0.0,
            "place_conflict": conflict,
            "admin_conflict": 1.0 if dec.admin and self.admin and self.has_admin_conflict(dec) else 0.0,
            "shared_admin": 1.0 if dec.admin and self.admin and not self.admin_names.isdisjoint(dec.admin_names)
            else 0.0,
            "log_days": math.log1p(days),
            "within_day": math.exp(-days),
            "within_week": math.exp(-days / 7),
            "within_month": math.exp(-days / 30),
            "short_text": 1.0 / math.sqrt(1.0 + min(self.size, dec.size)),
            "conflict_x_text": conflict * alike,
            "place_x_topic": place * topic_cos,
            "rare_x_topic": rarest_shared * topic_cos,
            "char_cosine": char_cosine,
            "rare_x_chars": rarest_shared * char_cosine,
            "swap_bigrams": min(own_a, own_b) * alike ** 3,
            "near_repeat": (1.0 - max(own_a, own_b)) * alike ** 3,
            "swap_chars": swap_chars,
        }

    def log_odds(self, dec: DecodedFingerprint, received_at=None, cand_at=None) -> float:
        """`compare(...).logit` of a decoded candidate, without the evidence: the same float, for less."""
        feats = self.measure(dec, received_at, cand_at, lean=True)
        # The products summed in `terms`' order, as `Model.log_odds` sums them (in C: the same floats, the same sum).
        return self.model.intercept + sum(map(mul, self.term_coefs, map(feats.__getitem__, self.term_names)))

    def compare(self, fb: Mapping[str, Any], received_at=None, cand_at=None,
                dec: DecodedFingerprint | None = None) -> Comparison:
        """Judge one candidate (`dec`: its fingerprint already decoded): features, their contributions, and the
        probability of one case."""
        if dec is None:
            dec = DecodedFingerprint(fb)
        else:
            # Equal to `fb` (the decoded cache's contract) and already parsed: `fb` read from the store again is
            # JSON text not yet parsed (`StoredFingerprint`), and the names below would parse it once more.
            fb, dec = dec.fp, dec.detached()
        feats = self.measure(dec, received_at, cand_at)
        logit, contributions = self.model.log_odds(feats)
        cmp = Comparison(features=feats, contributions=contributions, logit=logit,
                         score=1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit)))))
        names = self.shared_names(fb) if feats["shared_place"] or feats["shared_area"] else []
        cmp.shared = sorted({min(x[0] + x[1], y[0] + y[1], key=len) for x, y in names})
        if feats["place_conflict"] or feats["admin_conflict"]:
            cmp.conflicts = self.conflicts(fb) + self.admin_conflicts(fb)
        ab = fb.get("a")
        if ab and self.admin:
            cmp.shared_admin = sorted({a[0] for a in self.admin} & {b[0] for b in ab})
        cmp.same_citizen = bool(self.citizen) and self.citizen == fb.get("c")
        return cmp


def compare(fa: Mapping[str, Any], fb: Mapping[str, Any], model: Model | None = None) -> Comparison:
    """Judge one pair of fingerprints (a `Probe` judges many candidates against one report faster)."""
    return Probe(fa, model).compare(fb)
