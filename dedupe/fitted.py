"""The fitted deduper (`[dedupe] engine = "fitted"`): IDF-weighted bigrams, names, a fitted model, per case."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator, Mapping

from dedupe.engine import name_key
from dedupe.fitted_compare import Comparison, Probe
from dedupe.fitted_decoded import FITTED_VERSIONS, DecodedCache, DecodedFingerprint
from dedupe.fitted_fingerprint import gram_hash, make_fingerprint, unpack_grams, unpack_hashes
from dedupe.idf import DocumentFrequencies, jieba_prior, prior_counts
from dedupe.model import Model, load_model
from dedupe.fitted_profile import DedupeSettings, load_settings
from dedupe.types import Candidate, Decision
from normalizer.ticket import Ticket


def _frequencies(settings: DedupeSettings) -> DocumentFrequencies:
    prior, chars = jieba_prior() if settings.df_prior == "jieba" else ({}, {})
    root = settings.df_prior_docs ** 0.5
    return DocumentFrequencies(prior_counts(prior, settings.df_prior_docs), settings.df_prior_docs,
                               settings.df_batch, {c: f * root for c, f in chars.items()})




# How many fingerprints' index keys `FittedDeduper.blocking_keys` keeps (a batch of the pipeline at least).
KEYS_KEPT = 512

# A bigram hash's index key (`g:` and six hex digits), formatted in C.
_gram_key = "g:%06x".__mod__


def name_gram_keys(entities, names: int) -> list[str]:
    """The bigram keys of the first `names` names' cores. A place named in two forms (a site by its street and by
    its own name, a shop with and without its street or its trade in front) shares no name key, whose tail is cut
    from the end of the core, but the earlier report is often filed under one of the name's bigrams (among its
    rarest) where the later one's rarest are other words."""
    keys = []
    for core, _suffix, sub, _primary in entities[:names]:
        if sub != "bus_line":  # a number: its bigrams are everywhere
            keys += [_gram_key(gram_hash(core[i:i + 2])) for i in range(len(core) - 1)]
    return keys


def door_key(fingerprint: Mapping[str, Any]) -> str | None:
    """The key of the first door number the report gives on a named road (`no`: 解放大道354号 → d:解放大道#354), or
    None: reports at one door number are filed together, whatever their words."""
    numbers = fingerprint.get("no")
    if not numbers:
        return None
    core, suffix, number = numbers[0]
    return f"d:{core}{suffix}#{number}"


class FittedDeduper:
    """Same three methods as `ExactRepeatDeduper`, plus `analyse`, `query_keys` and `observe` (frequency table)."""

    def __init__(self, profile: Mapping[str, Any] | None = None, model: Model | None = None,
                 frequencies: DocumentFrequencies | None = None):
        self.settings: DedupeSettings = load_settings(profile)
        self.model: Model = model or load_model(profile, (profile or {}).get("_base_dir"))
        self.df = frequencies if frequencies is not None else _frequencies(self.settings)
        # Candidates' fingerprints decoded once per process (a hot report is a candidate of many later reports).
        self.decoded = DecodedCache(self.settings.decoded_cache)
        # The last fingerprints' index keys, by identity: a report's keys are asked for by `blocking_keys` and again
        # by `query_keys` (formatting them was a tenth of a decision). Each entry holds its fingerprint, so its id
        # is not reused while it is kept; fingerprints are never changed once made.
        self._keys: dict[int, tuple[Mapping[str, Any], list[str]]] = {}

    def analyse(self, ticket: Ticket) -> tuple[dict[str, Any], dict[str, int]]:
        """The fingerprint and the report's distinct bigrams (to `observe` once the report is indexed)."""
        normalized = ticket.normalized or {}
        text = normalized.get("compare_text") or normalized.get("text") or ticket.text or ""
        title = normalized.get("title") or ticket.title or ""
        return make_fingerprint(title, text, ticket.citizen, normalized, self.settings, self.df)

    def fingerprint(self, ticket: Ticket) -> dict[str, Any]:
        """What the index keeps per report (JSON-safe, well under 1 KB), from the normalized ticket."""
        return self.analyse(ticket)[0]

    def observe(self, grams: Iterable[str]) -> bool:
        """Count an indexed report's bigrams into the pending batch; True when the batch is full."""
        df = self.df
        df.pending.update(iter(grams))  # counted in C (`DocumentFrequencies.pending` is a Counter)
        df.pending_docs += 1
        return df.pending_docs >= df.batch

    def blocking_keys(self, fingerprint: Mapping[str, Any]) -> list[str]:
        """Index keys: one per specific name (the tail of its core), then the report's rarest bigrams."""
        known = self._keys.get(id(fingerprint))
        if known is not None and known[0] is fingerprint:
            return list(known[1])
        keys = self._blocking_keys(fingerprint)
        if len(self._keys) >= KEYS_KEPT:
            self._keys.clear()
        self._keys[id(fingerprint)] = (fingerprint, keys)
        return list(keys)

    def _blocking_keys(self, fingerprint: Mapping[str, Any]) -> list[str]:
        settings = self.settings
        names: list[str] = []
        admins = fingerprint.get("a") or ()
        for number, entity in enumerate(fingerprint.get("e") or ()):
            key = name_key(entity, number, admins)  # the rules engine's name keys, so both find one place alike
            if key not in names:
                names.append(key)
        keys = names[:4]
        for core, _suffix, sub, _primary in (fingerprint.get("e") or ())[:settings.file_name_heads]:
            if sub != "bus_line" and len(core) >= 2:
                keys.append(_gram_key(gram_hash(core[:2])))
        door = door_key(fingerprint)
        if door:
            keys.append(door)
        hashes = unpack_hashes(fingerprint.get("k", ""))
        kept = fingerprint.get("kg")
        if kept is not None:  # v6: `k` holds the title's and lead's keys beyond the first `kg` bigrams of `g`
            hashes += unpack_hashes(fingerprint.get("g", ""))[:kept]
        keys += map(_gram_key, hashes)
        return list(dict.fromkeys(keys))[: settings.max_keys]

    def query_keys(self, fingerprint: Mapping[str, Any], grams: int | None = None) -> list[str]:
        """The keys to look candidates up by: the index keys, more of the rarest bigrams, its first names'
        bigrams (`name_gram_keys`) and the other case of its Latin bigrams (reading a key costs one lookup, writing
        one a posting row, so a report searches wider than it is filed)."""
        keys = self.blocking_keys(fingerprint)
        hashes, _ = unpack_grams(fingerprint.get("g", ""), "")
        limit = self.settings.query_gram_keys if grams is None else grams
        keys += map(_gram_key, hashes[:limit])
        hashes, _ = unpack_grams(fingerprint.get("h", ""), "")
        keys += map(_gram_key, hashes[:self.settings.query_title_keys])
        keys += name_gram_keys(fingerprint.get("e") or (), self.settings.query_name_grams)
        keys += map(_gram_key, unpack_hashes(fingerprint.get("x", "")))  # v6: Latin bigrams in the other case
        keys = list(dict.fromkeys(keys))
        door = door_key(fingerprint)
        if door and door in keys:
            # Listed again: a key listed n times counts n times in the ranking (dedupe.ranking), and a report at the
            # same door number outranks any that shares only words. Without it, an earlier flood's hundreds of
            # reports at another number of the road (the same wordings, the number aside: a door conflict, never
            # joined) took every candidate place, and the new flood's wordings each opened a case of their own.
            keys += [door] * (self.settings.max_keys + self.settings.file_name_heads)
        return keys

    def probe(self, fingerprint: Mapping[str, Any]) -> Probe:
        """The new report decoded once, to judge candidates with (the console's suggestions use it too)."""
        return Probe(fingerprint, self.model, door_gap=self.settings.door_number_gap)

    # `decide` takes `logits`, which `score` fills: the gateway scores a batch's candidates before taking the dedupe
    # locks, then decides under them, scoring only what other batches committed meanwhile (gateway.casework).
    remembers_logits = True

    def _scored(self, probe: Probe, received_at: datetime, candidates: Iterable[Candidate],
                logits: dict[int, float] | None) -> Iterator[tuple[float, Candidate, DecodedFingerprint]]:
        """(log-odds, candidate, decoded) of each candidate a decision weighs (within the window, filed by this
        engine); `logits` (by report id), when given, supplies those scored before and keeps the new ones."""
        window = timedelta(days=self.settings.window_days) if self.settings.window_days else None
        decoded = self.decoded
        for cand in candidates:
            if window is not None and abs(received_at - cand.received_at) > window:
                continue
            dec = decoded.get(cand.report_id, cand.fingerprint)
            if dec.version not in FITTED_VERSIONS:
                continue  # filed by the rules engine before the city switched engines: not comparable
            logit = logits.get(cand.report_id) if logits is not None else None
            if logit is None:
                logit = probe.log_odds(dec, received_at, cand.received_at)
                if logits is not None:  # a report's fingerprint never changes: its log-odds against this one neither
                    logits[cand.report_id] = logit
            yield logit, cand, dec

    def _rank_cases(self, probe: Probe, received_at: datetime, candidates: Iterable[Candidate],
                    held: list[dict[str, Any]] | None = None, logits: dict[int, float] | None = None
                    ) -> list[tuple[float, Candidate, int, DecodedFingerprint]]:
        """Per case: (log-odds, its best report, how many of the case's reports match, that report decoded), best
        first.

        A case is many reports: its log-odds is the mean of its `case_link` best candidate reports' (so a report
        alike only by a street name does not chain a case onto another), plus `case_support` for each further
        report of it that matches on its own, so the tenth report of a hot incident joins when it resembles some
        of the nine. Each candidate is scored by its log-odds alone (`Probe.log_odds`); the evidence is built
        only for the comparison a decision shows.
        """
        settings, model = self.settings, self.model
        threshold = model.threshold
        per_case: dict[int, list[tuple[float, Candidate, DecodedFingerprint]]] = {}
        for logit, cand, dec in self._scored(probe, received_at, candidates, logits):
            per_case.setdefault(cand.case_id, []).append((logit, cand, dec))
        judged = []
        # A probe without a door number has no door conflict with anyone: most reports, asked once, not per case.
        doors = bool(probe.numbers) and probe.door_gap is not None
        buildings = bool(probe.buildings) and settings.buildings_apart
        for pairs in per_case.values():
            # A gate, not a feature: no labelled set holds two door numbers on one road, so no fit could weigh
            # them, and by the labelling rule they are two places (one flood on a road never joins another's).
            if doors and any(probe.has_door_conflict(dec) for _, _, dec in pairs):
                if held is not None:
                    held.append(_held(pairs, probe.has_door_conflict, _place_conflicts(probe)))
                continue
            # A gate too, on the same grounds: no labelled duplicate pair gives two building numbers with none in
            # common (11 give numbers on both sides, all shared), and a lift or an outage of building 3 is not
            # building 5's. Report by report, not the whole case: a case may hold a report of another building
            # by an earlier mistake, and holding the case apart for it would scatter every later report of its own.
            if buildings:
                kept = [p for p in pairs if not probe.has_building_conflict(p[2])]
                if not kept:
                    if held is not None:
                        held.append(_held(pairs, probe.has_building_conflict,
                                          lambda dec: {"building_conflicts": probe.building_conflicts(dec)}))
                    continue
                pairs = kept
            # A case is many reports, and one of them at another place (two compounds, two roads of one kind named
            # in both titles or leads) that is not itself a match (more likely another case than this one) keeps
            # the new report out: it is the way one street's problems chain into one case through a report alike
            # only by the street. Left out, on the incidents: F1 0.416 -> 0.531, without titles 0.417 -> 0.567.
            if settings.conflict_holds_apart and len(pairs) > 1 and any(
                    logit < 0.0 and probe.has_conflict(dec) for logit, _, dec in pairs):
                if held is not None:
                    held.append(_held([p for p in pairs if p[0] < 0.0], probe.has_conflict, _place_conflicts(probe)))
                continue
            # The same for a report of the case about another problem: both name words of the city's topic
            # vocabulary and share no character of them (a compound's lift and its water supply), and it is no match
            # on its own. How one place's problems chain: the new report is alike the case's report of another
            # problem only by the place. Left out, F1 with titles / without: incidents 0.531 / 0.567 -> 0.588 /
            # 0.609, Dongguan 0.577 / 0.567 -> 0.569 / 0.561, the board 0.866 / 0.823 -> 0.862 / 0.818.
            if settings.topic_holds_apart and probe.topic and len(pairs) > 1 and any(
                    logit < 0.0 and probe.has_topic_conflict(dec) for logit, _, dec in pairs):
                if held is not None:
                    held.append(_held([p for p in pairs if p[0] < 0.0], probe.has_topic_conflict,
                                      lambda dec: {"topic_conflicts": [f"{probe.fp.get('t')} ≠ {dec.fp.get('t')}"]}))
                continue
            # Ties go to the newest report, so the order the store returns candidates in never matters.
            _, cand, dec = max(pairs, key=lambda p: (p[0], p[1].report_id))
            matching = sum(1 for logit, _, _ in pairs if _probability(logit) >= threshold)
            # Judged on its `case_link` best reports (the mean of their log-odds), not its best alone: one report
            # alike by its street alone must not chain a second problem on that street into the case.
            best = sorted((logit for logit, _, _ in pairs), reverse=True)[:settings.case_link]
            logit = sum(best) / len(best) + model.case_support * max(0, matching - 1)
            judged.append((logit, cand, matching, dec))
        judged.sort(key=lambda j: (-j[0], -j[1].report_id))
        return judged

    def score(self, fingerprint: Mapping[str, Any], received_at: datetime, candidates: Iterable[Candidate],
              logits: dict[int, float]) -> None:
        """Put each candidate's log-odds into `logits` (by report id), for a later `decide(..., logits=logits)`:
        the candidates `decide` would score, nothing more (no case judged, no evidence made)."""
        candidates = list(candidates)
        if candidates:
            for _ in self._scored(self.probe(fingerprint), received_at, candidates, logits):
                pass

    def judge_cases(self, fingerprint: Mapping[str, Any], received_at: datetime, candidates: Iterable[Candidate]
                    ) -> list[tuple[float, Comparison, Candidate, int]]:
        """Per case: (log-odds, best comparison, its report, how many of the case's reports match), best first
        (see `_rank_cases`; the console shows each case's evidence)."""
        probe = self.probe(fingerprint)
        return [(logit, probe.compare(cand.fingerprint, received_at, cand.received_at, dec), cand, matching)
                for logit, cand, matching, dec in self._rank_cases(probe, received_at, candidates)]

    def decide(self, fingerprint: Mapping[str, Any], received_at: datetime,
               candidates: Iterable[Candidate], logits: dict[int, float] | None = None) -> Decision:
        """The case whose log-odds is highest, if its probability reaches the model's threshold.

        `logits`, when given, holds the log-odds of candidates this report was judged against before (by report
        id) and takes the new ones: the same decision as without it, for the cost of the candidates it lacks."""
        candidates = list(candidates)
        probe = self.probe(fingerprint)
        held: list[dict[str, Any]] = []
        judged = self._rank_cases(probe, received_at, candidates, held, logits)
        threshold = self.model.threshold
        if not judged or _probability(judged[0][0]) < threshold:
            evidence = {"rule": "new case", "threshold": threshold, "candidates": len(candidates),
                        "cases": len(judged)}
            if held:
                evidence["held_apart"] = held
            if not judged:
                return Decision(None, 0.0, evidence)
            _, near_cand, _, near_dec = judged[0]
            near = probe.compare(near_cand.fingerprint, received_at, near_cand.received_at, near_dec)
            evidence["best_match"] = {"report": near_cand.report_id, **near.evidence()}
            return Decision(None, round(near.score, 3), evidence)
        logit, cand, matching, dec = judged[0]
        cmp = probe.compare(cand.fingerprint, received_at, cand.received_at, dec)
        probability = _probability(logit)
        evidence = {"rule": "similar report", "matched_report": cand.report_id, "threshold": threshold,
                    "case_probability": round(probability, 3), "matching_reports": matching,
                    "days_apart": round(abs((received_at - cand.received_at).total_seconds()) / 86400, 1)}
        evidence.update(cmp.evidence())
        return Decision(cand.case_id, round(probability, 3), evidence)


def _held(pairs, conflicting, why) -> dict[str, Any]:
    """Why a case was kept apart, for the evidence operators read: its first report that `conflicting` names, and
    `why(that report decoded)` (its place conflicts, or its topic words against the new report's)."""
    for _, cand, dec in pairs:
        if conflicting(dec):
            return {"case": cand.case_id, "report": cand.report_id, **why(dec)}
    return {}


def _place_conflicts(probe: Probe):
    # `dec.fp`: the candidate's fingerprint (equal, the decoded cache's contract), already parsed.
    return lambda dec: {"place_conflicts": probe.conflicts(dec.fp)}


def _probability(logit: float) -> float:
    """The logistic of a log-odds (clamped, so an extreme one never overflows)."""
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
