"""Offline clustering: received_at order, window_days, time formats, the memory index, evaluate's arithmetic."""
from __future__ import annotations

import io
import json

from dedupe import Deduper, MemoryIndex
from dedupe.cluster import cluster, parse_time, run_cluster, run_evaluate, score_pairs
from dedupe.ranking import rank_postings
from normalizer.normalize import Normalizer
from tests.dedupe.helpers import NOISE_A, NOISE_B, POLICY_1, TEMPLATE_1, TEMPLATE_2


def line(id_, when, report, **extra):
    return {"id": id_, "received_at": when, "title": report[0], "text": report[1], **extra}


REPORTS = [  # deliberately out of order
    line("late", "2024-06-01T10:00:00", NOISE_B, citizen="u2"),
    line("first", "2024/3/1 9:05:00", NOISE_A, citizen="u1"),
    line("tpl1", "2024-03-02T08:00:00+08:00", TEMPLATE_1),
    line("tpl2", "2024-03-03T08:00:00", TEMPLATE_2),
    line("policy", "2024-03-04T08:00:00", POLICY_1),
]


def run(reports, window_days=None):
    return list(cluster(reports, Deduper({}), Normalizer({}), window_days))


def test_cluster_streams_in_received_at_order_and_merges_across_months():
    rows = run(REPORTS)
    assert [r["id"] for r in rows] == ["first", "tpl1", "tpl2", "policy", "late"]
    case = {r["id"]: r["case_id"] for r in rows}
    assert case["late"] == case["first"]
    assert len({case["tpl1"], case["tpl2"], case["policy"], case["first"]}) == 4


def test_window_days_keeps_old_cases_out():
    case = {r["id"]: r["case_id"] for r in run(REPORTS, window_days=30)}
    assert case["late"] != case["first"]


def test_board_export_time_is_shanghai_time():
    assert parse_time("2019/4/25 9:32:09").isoformat() == "2019-04-25T09:32:09+08:00"
    assert parse_time("2019-04-25T01:32:09Z").utcoffset().total_seconds() == 0


def test_run_cluster_writes_one_json_line_per_report(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in REPORTS) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert run_cluster(str(path), out) == len(REPORTS)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert set(rows[0]) == {"id", "case_id"} and len(rows) == len(REPORTS)


def test_score_pairs_arithmetic():
    case_of = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3}
    pairs = [{"a": "a", "b": "b", "label": "DUP"},   # tp
             {"a": "c", "b": "d", "label": "NOT"},   # fp
             {"a": "a", "b": "e", "label": "DUP"},   # fn
             {"a": "b", "b": "e", "label": "NOT"}]   # tn
    result = score_pairs(case_of, pairs)
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (1, 1, 1, 1)
    assert result["precision"] == 0.5 and result["recall"] == 0.5 and result["f1"] == 0.5
    assert len(result["misjudged"]) == 2


def test_run_evaluate_reports_misjudged_pairs_with_evidence(tmp_path):
    corpus, pairs = tmp_path / "c.jsonl", tmp_path / "p.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in REPORTS), encoding="utf-8")
    labels = [{"a": "first", "b": "late", "label": "DUP"}, {"a": "tpl1", "b": "tpl2", "label": "NOT"},
              {"a": "first", "b": "policy", "label": "DUP"}]  # the last one is a deliberate wrong label
    pairs.write_text("\n".join(json.dumps(p) for p in labels), encoding="utf-8")
    out = io.StringIO()
    result = run_evaluate(str(corpus), str(pairs), out)
    assert result["tp"] == 1 and result["tn"] == 1 and result["fn"] == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("engine    precision 1.000  recall 0.500  F1 0.667  (tp 1 fp 0 fn 1 tn 1;")
    assert lines[1].startswith("candidate recall ") and lines[2].startswith("baseline  precision ")
    wrong = json.loads(lines[3])
    assert wrong["b"] == "policy" and wrong["b_evidence"]["rule"] == "new case"


def test_memory_index_caps_postings_per_key_keeping_the_newest():
    index = MemoryIndex(postings_cap=2)
    for n in range(1, 5):
        index.add(n, n, parse_time("2024-01-01T00:00:00"), ["k"], {"n": n})
    assert [c.report_id for c in index.candidates(["k", "k"])] == [4, 3]
    assert len(index) == 4


def test_memory_index_ranks_like_the_live_index():
    """Most shared keys first, newest first among equals, at most `max_candidates` (dedupe.ranking)."""
    index = MemoryIndex(postings_cap=10, max_candidates=3)
    at = parse_time("2024-01-01T00:00:00")
    index.add(1, 1, at, ["name", "text"], {})
    for n in range(2, 6):
        index.add(n, n, at, ["text"], {})
    assert [c.report_id for c in index.candidates(["name", "text"])] == [1, 5, 4]
    assert rank_postings([[1], [1, 2, 3, 4, 5]], 3) == [1, 5, 4]


def test_cluster_takes_the_candidate_limits_from_the_profile():
    rows = list(cluster(REPORTS, Deduper({"dedupe": {"max_candidates": 0}}), Normalizer({})))
    assert len({r["case_id"] for r in rows}) == len(REPORTS)  # no candidates: every report opens a case


def test_evaluate_reads_truth_and_counts_candidate_recall(tmp_path):
    corpus = tmp_path / "c.jsonl"
    rows = [dict(r, truth=t) for r, t in zip(REPORTS, ["noise", "noise", "neg-1", "neg-2", "neg-3"])]
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = run_evaluate(str(corpus), None, io.StringIO())
    # Ten pairs, one of them a duplicate, found: the early noise report is among the late one's candidates.
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (1, 0, 0, 9)
    assert (result["candidates_found"], result["candidates_total"]) == (1, 1)
    assert result["baseline"]["tp"] + result["baseline"]["fn"] == 1
