"""Emergency check with negation, and the request-path entry point."""
from __future__ import annotations

import time

import pytest

from normalizer.urgency import EmergencyDetector


@pytest.mark.parametrize("text, matched", [
    ("楼下着火了,快来人", ["着火"]),
    ("小区发生火灾", ["火灾"]),
    ("家里煤气泄漏了", ["煤气泄漏"]),
    ("有人被困在电梯里", ["被困", "困在电梯"]),
    ("有人持刀砍人", ["持刀", "砍人"]),
    ("樓下著火了", ["著火"]),                         # traditional script (著 is also simplified)
    ("樓下失火", ["失火"]),
    ("没有着火", []),                                # negation
    ("未发生火灾", []),
    ("并未造成人员被困", []),
    ("存在火灾隐患", []),                             # a hazard, not an event
    ("防止火灾,请清理楼道", []),
    ("没有着火,但是有人打人", ["打人"]),               # the negation stays in its clause
    ("路灯不亮", []),
    ("", []),
])
def test_emergency_keywords_and_negation(normalizer, text, matched):
    result = normalizer.quick_emergency(text)
    assert result["matched"] == matched
    assert result["emergency"] is bool(matched)


@pytest.mark.parametrize("text, number", [("着火了", "119"), ("有人昏迷", "120"), ("有人打人", "110")])
def test_advice_names_the_emergency_number(normalizer, text, number):
    advice = normalizer.quick_emergency(text)["advice"]
    assert number in advice and "立即拨打" in advice


def test_no_advice_without_emergency(normalizer):
    assert normalizer.quick_emergency("井盖丢了")["advice"] == ""


def test_configured_keywords_replace_defaults():
    detector = EmergencyDetector({"kinds": {"flood": {"call": "119", "keywords": ["决堤"]}}, "negations": []})
    assert detector.check("河堤决堤")["matched"] == ["决堤"]
    assert detector.check("着火了")["emergency"] is False


def test_quick_emergency_is_cheap(normalizer):
    text = "市长您好,我们小区门口的路灯已经坏了很久,晚上出行很不方便,请相关部门尽快处理。" * 5
    normalizer.quick_emergency(text)
    started = time.perf_counter()
    for _ in range(1000):
        normalizer.quick_emergency(text)
    per_call = (time.perf_counter() - started) / 1000
    assert per_call < 200e-6                            # target 50 µs; slack for a loaded test machine


def test_quick_emergency_never_raises(normalizer):
    for value in (None, "", "\x00" * 10, "着" * 5000):
        assert "emergency" in normalizer.quick_emergency(value)
