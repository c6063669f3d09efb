"""The real deduper: specific names, place conflicts and text/title similarity, decided against candidates."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from dedupe import sketch
from dedupe.compare import Comparison, compare
from dedupe.fingerprint import make_fingerprint
from dedupe.profile import DedupeSettings, load_settings
from dedupe.types import Candidate, Decision
from normalizer.ticket import Ticket


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
        """Selective index keys: specific names (by the tail of their core), rare text and title n-grams."""
        keys: list[str] = []
        for number, (core, suffix, sub, primary) in enumerate(fingerprint.get("e", [])):
            # The tail of the core identifies the name whatever was cut on its left (星沙宁华路 and 宁华路 share
            # n:宁华路): two characters for the title's names, three for the others (fewer chance collisions).
            # Bus lines carry the admin unit, or 204路 would be everywhere.
            if sub == "bus_line":
                admin = next((a[0] for a in fingerprint.get("a", [])), "")
                key = f"b:{admin}{core}"
            elif primary or number < 2:
                key = f"n:{core[-2:]}{suffix}"
            else:
                key = f"n:{core[-3:]}{suffix}"
            if key not in keys:
                keys.append(key)
        keys = keys[: self.settings.max_keys - self.settings.text_keys - self.settings.title_keys
                    - self.settings.min_hash_keys]
        # The text's smallest n-gram hashes (high recall for near-identical text) and LSH band keys.
        keys += [f"t:{h:08x}" for h in sketch.unpack(fingerprint.get("t", ""))[: self.settings.min_hash_keys]]
        keys += [f"t:{h:08x}" for h in sketch.unpack(fingerprint.get("k", ""))]
        keys += [f"h:{h:08x}" for h in sketch.unpack(fingerprint.get("hk", ""))]
        return list(dict.fromkeys(keys))[: self.settings.max_keys]

    def decide(self, fingerprint: Mapping[str, Any], received_at: datetime,
               candidates: Iterable[Candidate]) -> Decision:
        """The case of the best-scoring candidate over the threshold, unless another report of it conflicts."""
        settings = self.settings
        window = timedelta(days=settings.window_days) if settings.window_days else None
        cache: dict = {}
        per_case: dict[int, list[tuple[Comparison, Candidate]]] = {}
        for cand in candidates:
            if window is not None and abs(received_at - cand.received_at) > window:
                continue
            per_case.setdefault(cand.case_id, []).append((compare(fingerprint, cand.fingerprint, settings, cache),
                                                          cand))
        best: tuple[Comparison, Candidate] | None = None
        for case_id, judged in per_case.items():
            # A case whose reports name a different place than this one is never joined, even if another of
            # its reports matches well: that is how one template posted for two compounds stays two cases.
            if any(c.conflicts for c, _ in judged):
                continue
            # Ties go to the newest report, so the order the store returns candidates in never matters.
            top = max(judged, key=lambda item: (item[0].score, item[1].report_id))
            if best is None or (top[0].score, top[1].report_id) > (best[0].score, best[1].report_id):
                best = top
        if best is None or best[0].score < settings.threshold:
            near = best[0].score if best else 0.0
            return Decision(None, round(near, 3), {"rule": "new case", "threshold": settings.threshold,
                                                   "best_score": round(near, 3),
                                                   "candidates": sum(len(v) for v in per_case.values())})
        cmp, cand = best
        evidence = {"rule": "similar report", "matched_report": cand.report_id, "threshold": settings.threshold,
                    "days_apart": round(abs((received_at - cand.received_at).total_seconds()) / 86400, 1)}
        evidence.update(cmp.evidence())
        return Decision(cand.case_id, round(cmp.score, 3), evidence)
