"""Table of decisions: same place same problem joins; other place, other problem or own matter does not."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dedupe.helpers import (DOOR_1, DOOR_2, DOOR_NEAR, NOISE_A, NOISE_B, OTHER_PROBLEM, POLICY_1, POLICY_2,
                                  ROAD_1, ROAD_2, TEMPLATE_1, TEMPLATE_2, judge)

CASES = [
    # (name, first, second, joins)
    ("same compound, same problem, other words", NOISE_A, NOISE_B, True),
    ("same road crossing, same pothole", ROAD_1, ROAD_2, True),
    ("exact repeat", NOISE_A, NOISE_A, True),
    ("same template, different compound", TEMPLATE_1, TEMPLATE_2, False),
    ("same compound, different problem", NOISE_A, OTHER_PROBLEM, False),
    ("different people's own matters under one policy", POLICY_1, POLICY_2, False),
    ("unrelated", NOISE_A, POLICY_1, False),
    ("same template, one road, door numbers far apart", DOOR_1, DOOR_2, False),
    ("same burst main, one road, the next door number", DOOR_1, DOOR_NEAR, True),
]


@pytest.mark.parametrize("name, first, second, joins", CASES, ids=[c[0] for c in CASES])
def test_decision(name, first, second, joins):
    decision = judge(first, second)
    assert (decision.case_id == 7) is joins, decision.evidence


def test_duplicate_months_apart_from_another_citizen_still_joins():
    decision = judge(NOISE_A, NOISE_B, after=timedelta(days=120), citizen="someone-else")
    assert decision.case_id == 7


def test_template_conflict_is_named_in_the_evidence():
    decision = judge(TEMPLATE_1, TEMPLATE_2)
    assert decision.case_id is None
    assert decision.evidence["rule"] == "new case"


def test_window_in_profile_keeps_old_reports_out():
    from dedupe import Deduper
    deduper = Deduper({"dedupe": {"window_days": 30}})
    assert judge(NOISE_A, NOISE_B, deduper, after=timedelta(days=90)).case_id is None
    assert judge(NOISE_A, NOISE_B, deduper, after=timedelta(days=10)).case_id == 7
