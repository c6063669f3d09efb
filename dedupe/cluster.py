"""Offline clustering of a report file with the live deduper and normalizer, and its evaluation on pairs."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import IO, Any, Iterable, Iterator, Mapping

from channels.times import parse_time
from dedupe.memory_index import MemoryIndex
from normalizer.ticket import new_ticket

def read_reports(path: str) -> list[dict[str, Any]]:
    """The JSON lines of a report file (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def cluster(reports: Iterable[Mapping[str, Any]], deduper, normalizer, window_days: float | None = None,
            zone: str = "Asia/Shanghai", decisions: dict | None = None) -> Iterator[dict[str, Any]]:
    """Yield {"id", "case_id"} per report in `received_at` order; cases are numbered by their first report.

    Candidates come from a `MemoryIndex` with the deduper's `postings_cap` and `max_candidates`, the values
    the live index reads from the same `[dedupe]` table.
    """
    timed = sorted(((parse_time(str(r["received_at"]), zone), i, r) for i, r in enumerate(reports)),
                   key=lambda item: (item[0], item[1]))
    settings = getattr(deduper, "settings", None)
    index = MemoryIndex(getattr(settings, "postings_cap", 200), getattr(settings, "max_candidates", 64))
    window = timedelta(days=window_days) if window_days else None
    for number, (received_at, _, report) in enumerate(timed, start=1):
        ticket = new_ticket(channel=report.get("channel") or "import", external_id=str(report["id"]),
                            text=report.get("text") or "", received_at=received_at, title=report.get("title"),
                            citizen=report.get("citizen") or report.get("phone"))
        ticket.normalized = normalizer.normalize(ticket)
        fingerprint = deduper.fingerprint(ticket)
        keys = deduper.blocking_keys(fingerprint)
        candidates = index.candidates(keys)
        if window is not None:
            candidates = [c for c in candidates if received_at - c.received_at <= window]
        decision = deduper.decide(fingerprint, received_at, candidates)
        case_id = decision.case_id if decision.case_id is not None else number
        if decisions is not None:
            decisions[str(report["id"])] = decision
        index.add(number, case_id, received_at, keys, fingerprint)
        yield {"id": report["id"], "case_id": case_id}


def score_pairs(case_of: Mapping[str, Any], pairs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Precision, recall and F1 of labelled pairs (DUP predicted when both reports are in one case)."""
    tp = fp = fn = tn = 0
    wrong = []
    for pair in pairs:
        a, b = str(pair["a"]), str(pair["b"])
        predicted = a in case_of and case_of.get(a) == case_of.get(b)
        actual = pair["label"] == "DUP"
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        tn += not actual and not predicted
        if predicted != actual:
            wrong.append(dict(pair))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "misjudged": wrong}


def evaluate(corpus_path: str, pairs_path: str, deduper, normalizer, window_days: float | None = None
             ) -> dict[str, Any]:
    """Cluster the corpus, score the labelled pairs, and attach evidence to every misjudged pair."""
    decisions: dict[str, Any] = {}
    case_of = {str(row["id"]): row["case_id"] for row in
               cluster(read_reports(corpus_path), deduper, normalizer, window_days, decisions=decisions)}
    result = score_pairs(case_of, read_reports(pairs_path))
    for pair in result["misjudged"]:
        for side in ("a", "b"):
            decision = decisions.get(str(pair[side]))
            pair[f"{side}_case"] = case_of.get(str(pair[side]))
            pair[f"{side}_evidence"] = decision.evidence if decision else None
    return result


def _build(profile: Mapping[str, Any] | None):
    """The live deduper and normalizer for a profile."""
    from dedupe.engine import Deduper
    from normalizer.normalize import Normalizer
    return Deduper(profile), Normalizer(profile)


def run_cluster(in_path: str, out_stream: IO[str], profile: Mapping[str, Any] | None = None,
                window_days: float | None = None) -> int:
    """CLI body of `dedupe cluster`: one JSON line {"id", "case_id"} per report; returns the report count."""
    deduper, normalizer = _build(profile)
    zone = (profile or {}).get("city", {}).get("timezone", "Asia/Shanghai")
    count = 0
    for row in cluster(read_reports(in_path), deduper, normalizer, window_days, zone=zone):
        out_stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def run_evaluate(corpus_path: str, pairs_path: str, out_stream: IO[str],
                 profile: Mapping[str, Any] | None = None, window_days: float | None = None) -> dict[str, Any]:
    """CLI body of `dedupe evaluate`: the figures, then one JSON line per misjudged pair with its evidence."""
    deduper, normalizer = _build(profile)
    result = evaluate(corpus_path, pairs_path, deduper, normalizer, window_days)
    out_stream.write(f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
                     f"F1 {result['f1']:.3f}  (tp {result['tp']} fp {result['fp']} fn {result['fn']} "
                     f"tn {result['tn']})\n")
    for pair in result["misjudged"]:
        out_stream.write(json.dumps(pair, ensure_ascii=False) + "\n")
    return result
