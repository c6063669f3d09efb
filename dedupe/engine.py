"""The real deduper: specific names, place conflicts and text/title similarity, decided against candidates."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from dedupe import sketch
from dedupe.compare import CONFLICT_SUBKINDS, Comparison, Probe
from dedupe.fingerprint import make_fingerprint
from dedupe.profile import DedupeSettings, load_settings
from dedupe.types import Candidate, Decision
from normalizer.ticket import Ticket


# Fingerprint versions this engine reads (dedupe/fingerprint.py writes 2; 1 had no topic 2-grams).
RULES_VERSIONS = (1, 2)


class Deduper:
    """Same three methods as `ExactRepeatDeduper`; tunables from the profile's `[dedupe]` table."""

    def __init__(self, profile: Mapping[str, Any] | None = None):
        self.settings: DedupeSettings = load_settings(profile)

    def fingerprint(self, ticket: Ticket) -> dict[str, Any]:
        """What the index keeps per report (JSON-safe, well under 1 KB), from the normalized ticket."""
        normalized = ticket.normalized or {}
        text = normalized.get("compare_text") or normalized.get("text") or ticket.text or ""
        title = normalized.get("title") or ticket.title or ""
        return make_fingerprint(title, text, ticket.citizen, normalized, self.settings)

    def blocking_keys(self, fingerprint: Mapping[str, Any]) -> list[str]:
        """Selective index keys: specific names (by the tail of their core), rare text and title n-grams.

        Text and title keys carry the report's first specific place when its title (or lead) names one:
        a report about one compound can only join reports that name the same compound (any other is a place
        conflict) or none, and the former share its name key already; without the place, a complaint
        template posted for hundreds of compounds would make every one of them a candidate.
        """
        settings = self.settings
        names: list[str] = []
        place = ""
        admins = fingerprint.get("a") or ()
        for number, entity in enumerate(fingerprint.get("e") or ()):
            key, sub, primary = name_key(entity, number, admins), entity[2], entity[3]
            if primary and not place and settings.text_keys_by_place and sub in CONFLICT_SUBKINDS:
                place = "@" + key[2:] + door_number(fingerprint, entity)
            if key not in names:
                names.append(key)
        keys = names[: settings.max_keys - settings.text_keys - settings.title_keys - settings.min_hash_keys]
        # The text's smallest n-gram hashes (high recall for near-identical text) and LSH band keys.
        # With a place they only rank and back up the name key (a name common enough to overflow its postings),
        # so fewer are kept: every key is a posting row, and a place's keys are seldom shared.
        if place:
            mins, bands, titles = 1, settings.text_keys_with_place, 1
        else:
            mins, bands, titles = settings.min_hash_keys, settings.text_keys, settings.title_keys
        keys += [f"t:{h:08x}{place}" for h in sketch.unpack(fingerprint.get("t", ""))[:mins]]
        keys += [f"t:{h:08x}{place}" for h in sketch.unpack(fingerprint.get("k", ""))[:bands]]
        keys += [f"h:{h:08x}{place}" for h in sketch.unpack(fingerprint.get("hk", ""))[:titles]]
        return list(dict.fromkeys(keys))[: settings.max_keys]

    def decide(self, fingerprint: Mapping[str, Any], received_at: datetime,
               candidates: Iterable[Candidate]) -> Decision:
        """The case of the best-scoring candidate over the threshold, unless another report of it conflicts."""
        settings = self.settings
        window = timedelta(days=settings.window_days) if settings.window_days else None
        probe = Probe(fingerprint, settings)
        # First the cheap pass: a case whose reports name a different place than this one is never joined,
        # even if another of its reports matches well (one template posted for two compounds stays two cases).
        blocked: set[int] = set()
        open_: list[Candidate] = []
        seen = 0
        for cand in candidates:
            if window is not None and abs(received_at - cand.received_at) > window:
                continue
            if cand.fingerprint.get("v", 1) not in RULES_VERSIONS:
                continue  # filed by the fitted engine (a city that switched engines): not comparable
            seen += 1
            if cand.case_id in blocked:
                continue
            if probe.conflicts(cand.fingerprint):
                blocked.add(cand.case_id)
            else:
                open_.append(cand)
        best: tuple[Comparison, Candidate] | None = None
        for cand in open_:
            if cand.case_id in blocked:
                continue
            cmp = probe.compare(cand.fingerprint, conflicts=[])
            # Ties go to the newest report, so the order the store returns candidates in never matters.
            if best is None or (cmp.score, cand.report_id) > (best[0].score, best[1].report_id):
                best = (cmp, cand)
        if best is None or best[0].score < settings.threshold:
            near = best[0].score if best else 0.0
            return Decision(None, round(near, 3), {"rule": "new case", "threshold": settings.threshold,
                                                   "best_score": round(near, 3), "candidates": seen})
        cmp, cand = best
        evidence = {"rule": "similar report", "matched_report": cand.report_id, "threshold": settings.threshold,
                    "days_apart": round(abs((received_at - cand.received_at).total_seconds()) / 86400, 1)}
        evidence.update(cmp.evidence())
        return Decision(cand.case_id, round(cmp.score, 3), evidence)


def door_number(fingerprint: Mapping[str, Any], entity: list) -> str:
    """"#354" when the report gives a door number on this road (解放大道354号), else "".

    Text keys carry it with the place: one template at two numbers of one road would otherwise share every text
    key, and an older flood's hundreds of reports at another number (a place conflict) would fill the candidates
    of the next flood's first reports, crowding out the report that starts their own case.
    """
    for core, suffix, number in fingerprint.get("no") or ():
        if core == entity[0] and suffix == entity[1]:
            return f"#{number}"
    return ""


def name_key(entity: list, number: int, admins) -> str:
    """The index key of one specific name `[core, suffix, subkind, primary]`, the `number`-th of its report."""
    core, suffix, sub, primary = entity
    # The tail of the core identifies the name whatever was cut on its left (东湖新华路 and 新华路 share
    # n:新华路): two characters for the title's names, three for the others (fewer chance collisions).
    # Bus lines carry the admin unit, or 315路 would be everywhere.
    # A compound's suffix varies between reports (银杏花园 / 银杏小区 are one place): its keys say 小区.
    if sub == "community":
        suffix = "小区"
    if sub == "bus_line":
        return f"b:{admins[0][0] if admins else ''}{core}"
    if primary or number < 2:
        return f"n:{core[-2:]}{suffix}"
    return f"n:{core[-3:]}{suffix}"
