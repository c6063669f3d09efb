"""Compare two fingerprints: the features (IDF-weighted similarity, shared and conflicting names) and the score."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from dedupe.compare import ADMIN_LEVELS, NameIndex, door_conflicts, place_conflicts, units_by_level
from dedupe.fitted_fingerprint import name_hashes, unpack_grams
from dedupe.idf import UNSEEN_CHAR_WEIGHT, char_weights
from dedupe.model import Model

# Subkinds where two different names in the two titles mean two different places (so two cases).
CONFLICT_SUBKINDS = {"community", "road", "village", "group", "town", "school", "hospital", "company", "shop",
                     "project", "bus_line", "community_office"}

# How many of each report's rarest bigrams `rare_unshared` looks at.
RAREST = 6


def _names_of(fingerprint: Mapping[str, Any]) -> frozenset:
    """Hashes of the bigrams of the names and admin units a fingerprint states."""
    return name_hashes(tuple(e[0] + e[1] for e in fingerprint.get("e") or ()) +
                       tuple(a[0] for a in fingerprint.get("a") or ()))


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
        self.name_grams = _names_of(fingerprint)
        self.norm = fingerprint.get("gn") or 0.0
        self.size = fingerprint.get("n", 0)
        hashes, weights = unpack_grams(fingerprint.get("h", ""), fingerprint.get("hw", ""))
        self.title = dict(zip(hashes, weights))
        self.title_norm = fingerprint.get("hn") or 0.0
        self.char_w = char_weights()
        self.chars = {c: self.char_w.get(c, UNSEEN_CHAR_WEIGHT) for c in fingerprint.get("u") or ""}
        self.chars_norm = math.sqrt(sum(w * w for w in self.chars.values()))
        # The IDF a bigram never seen would have had: the scale of "rare" for this report.
        self.top_weight = max(self.grams.values(), default=0.0) or 1.0
        self.names = NameIndex(self.entities)

    def conflicts(self, fb: Mapping[str, Any]) -> list[str]:
        """Place conflicts with a candidate: two different places of one subkind in titles, or door numbers far
        apart on one road."""
        out: list[str] = []
        eb = fb.get("e")
        if eb and self.primary_subs:
            subs = self.primary_subs.intersection([e[2] for e in eb if e[3]])
            if subs:
                out = place_conflicts(self.entities, eb, subs)
        return out + self.door_conflicts(fb)

    def door_conflicts(self, fb: Mapping[str, Any]) -> list[str]:
        """Door numbers far apart on one road (解放大道354号 / 1731号): two places, however alike the texts."""
        numbers = fb.get("no")
        if numbers and self.numbers and self.door_gap is not None:
            return door_conflicts(self.numbers, numbers, self.door_gap)
        return []

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
        hashes, cand_w = unpack_grams(fb.get("g", ""), fb.get("w", ""))
        grams = self.grams
        shared_w = [grams[h] for h in hashes if h in grams]
        s = sum(w * w for w in shared_w)
        # The topic: both reports' bigrams less the names either states (a shared compound is not a shared problem).
        names = self.name_grams | _names_of(fb)
        topic_a = sum(w * w for h, w in grams.items() if h not in names)
        topic_b = sum(w * w for h, w in zip(hashes, cand_w) if h not in names)
        topic_s = sum(grams[h] * w for h, w in zip(hashes, cand_w) if h in grams and h not in names)
        topic = topic_s / math.sqrt(topic_a * topic_b) if topic_a and topic_b else 0.0
        # The rarest bigrams of each that the other lacks: a template posted for another place differs exactly there.
        cand_set = set(hashes)
        unshared = sum(1 for h in self.rarest if h not in cand_set) + sum(1 for h in hashes[:RAREST] if h not in grams)
        rare_unshared = unshared / max(1, len(self.rarest) + len(hashes[:RAREST]))
        # Each side's rarest bigrams the other lacks, separately: a complaint copied for another place lacks the
        # other's name on BOTH sides, a repeat on neither, a follow-up on one.
        own_a = sum(1 for h in self.rarest if h not in cand_set) / max(1, len(self.rarest))
        own_b = sum(1 for h in hashes[:RAREST] if h not in grams) / max(1, len(hashes[:RAREST]))
        nb = fb.get("gn") or 0.0
        na = self.norm
        # Containment over the topic too (a short follow-up inside a long report, or a near repeat); for a
        # template posted elsewhere it is alike text at another place.
        contain = topic_s / min(topic_a, topic_b) if topic_a and topic_b else 0.0
        overall = s / min(na * na, nb * nb) if na and nb else 0.0
        title_cos = 0.0
        both_titles = 0.0
        if self.title and fb.get("h"):
            both_titles = 1.0
            th, _ = unpack_grams(fb["h"], "")
            tb = fb.get("hn") or 0.0
            ts = sum(self.title[h] ** 2 for h in th if h in self.title)
            title_cos = ts / (self.title_norm * tb) if self.title_norm and tb else 0.0
        top = self.top_weight
        rare = [w for w in shared_w if w >= 0.6 * top]
        names = self.shared_names(fb)
        strong = any(x[2] == y[2] and x[2] not in AREA_SUBKINDS or x[2] != y[2] for x, y in names)
        area = any(x[2] == y[2] and x[2] in AREA_SUBKINDS for x, y in names)
        ab = fb.get("a")
        shared_admin = bool(ab and self.admin and {a[0] for a in self.admin} & {b[0] for b in ab})
        days = 0.0
        if received_at is not None and cand_at is not None:
            days = abs((received_at - cand_at).total_seconds()) / 86400
        char_cosine = 0.0
        swap_chars = 0.0
        other = fb.get("u")
        if other and self.chars_norm:
            mine, char_w = self.chars, self.char_w
            shared_c = sum(mine[c] ** 2 for c in other if c in mine)
            mass_b = sum(char_w.get(c, UNSEEN_CHAR_WEIGHT) ** 2 for c in other)
            char_cosine = shared_c / (self.chars_norm * math.sqrt(mass_b))
            mass_a = self.chars_norm ** 2
            # Alike characters, yet each side has telling characters of its own (湖滨菜场 / 桂园菜场).
            swap_chars = char_cosine ** 3 * min(1.0 - shared_c / mass_a, 1.0 - shared_c / mass_b)
        conflict = 1.0 if self.conflicts(fb) else 0.0
        place = 1.0 if strong else 0.0
        rarest_shared = max(shared_w, default=0.0) / top
        return {
            "topic_cosine": min(1.0, topic),
            "rare_unshared": rare_unshared,
            "text_containment": min(1.0, contain),
            "title_cosine": title_cos,
            "both_titles": both_titles,
            "rare_shared": math.log1p(len(rare)),
            "rarest_shared": rarest_shared,
            "shared_place": place,
            "shared_area": 1.0 if area and not strong else 0.0,
            "place_conflict": conflict,
            "admin_conflict": 1.0 if self.admin_conflicts(fb) else 0.0,
            "shared_admin": 1.0 if shared_admin else 0.0,
            "log_days": math.log1p(days),
            "within_day": math.exp(-days),
            "within_week": math.exp(-days / 7),
            "within_month": math.exp(-days / 30),
            "short_text": 1.0 / math.sqrt(1.0 + min(self.size, fb.get("n", 0))),
            "conflict_x_text": conflict * min(1.0, overall),
            "place_x_topic": place * min(1.0, topic),
            "rare_x_topic": rarest_shared * min(1.0, topic),
            "char_cosine": char_cosine,
            "rare_x_chars": rarest_shared * char_cosine,
            "swap_bigrams": min(own_a, own_b) * min(1.0, overall) ** 3,
            "near_repeat": (1.0 - max(own_a, own_b)) * min(1.0, overall) ** 3,
            "swap_chars": swap_chars,
        }

    def compare(self, fb: Mapping[str, Any], received_at=None, cand_at=None) -> Comparison:
        """Judge one candidate: features, their contributions, and the probability of one case."""
        feats = self.features(fb, received_at, cand_at)
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
