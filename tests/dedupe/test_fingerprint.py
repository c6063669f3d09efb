"""Fingerprint size, blocking keys shared by duplicates, evidence contents, the seam's types."""
from __future__ import annotations

import json
import sys
import subprocess

from dedupe import Candidate, Decision, Deduper
from dedupe.exact import Decision as ExactDecision
from tests.dedupe.helpers import NOISE_A, NOISE_B, POLICY_1, T0, TEMPLATE_1, judge, ticket

LONG = ("投诉洪山区桂苑小区南门烧烤摊", "桂苑小区南门外的烧烤摊营业到凌晨，" * 400)


def test_fingerprint_is_json_and_under_one_kilobyte_with_its_keys():
    deduper = Deduper({})
    for report in (NOISE_A, TEMPLATE_1, POLICY_1, LONG):
        fp = deduper.fingerprint(ticket(*report, citizen="openid-123"))
        keys = deduper.blocking_keys(fp)
        size = len(json.dumps(fp, ensure_ascii=False).encode()) + sum(len(k.encode()) for k in keys)
        assert size < 1024, size
        assert json.loads(json.dumps(fp)) == fp
        assert 0 < len(keys) <= 16


def test_duplicates_share_a_blocking_key():
    deduper = Deduper({})
    keys_a = set(deduper.blocking_keys(deduper.fingerprint(ticket(*NOISE_A))))
    keys_b = set(deduper.blocking_keys(deduper.fingerprint(ticket(*NOISE_B))))
    assert keys_a & keys_b
    assert "n:桂苑小区" in keys_a & keys_b


def test_works_with_only_text_in_normalized():
    deduper = Deduper({})
    tk = ticket(*NOISE_A)
    tk.normalized = {"text": tk.text}
    assert deduper.fingerprint(tk)["t"]


def test_evidence_names_the_match_for_operators():
    decision = judge(NOISE_A, NOISE_B)
    ev = decision.evidence
    assert decision.case_id == 7 and ev["rule"] == "similar report"
    assert ev["matched_report"] == 1
    assert "桂苑小区" in ev["shared_names"]
    assert ev["score"] >= ev["threshold"] == 0.5
    assert {"text_similarity", "title_similarity", "place_conflicts", "days_apart"} <= set(ev)


def test_conflicting_report_in_a_case_keeps_the_case_closed():
    deduper = Deduper({})
    fp_ok = deduper.fingerprint(ticket(*NOISE_A))
    fp_other = deduper.fingerprint(ticket("反映洪山区梅园小区南门烧烤摊噪音扰民", NOISE_A[1].replace("桂苑", "梅园")))
    fp_new = deduper.fingerprint(ticket(*NOISE_B))
    decision = deduper.decide(fp_new, T0, [Candidate(3, 1, T0, fp_ok), Candidate(3, 2, T0, fp_other)])
    assert decision.case_id is None


def test_types_are_shared_with_the_exact_deduper():
    assert Decision is ExactDecision


def test_dedupe_imports_no_web_or_database_framework():
    code = ("import sys, dedupe, dedupe.cluster, dedupe.engine; "
            "print([m for m in ('flask', 'sqlalchemy', 'rq') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
