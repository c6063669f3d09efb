"""Text cleaning and the comparison text: one table per rule, and clean_text's idempotency as a property."""
from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from normalizer.text import _CHINESE_DIGITS, _CHINESE_YEAR, _CIRCLE_IN_DIGITS, _INVISIBLE, CompareText, \
    clean_text, fold_traditional, strip_html, truncate


@pytest.mark.parametrize("raw, expected", [
    ("电话１３８００１３８０００", "电话13800138000"),                         # full-width digits
    ("ＡＢＣ小区，３栋！", "ABC小区,3栋!"),                                   # full-width letters and punctuation
    ("2〇19年", "2019年"),                                                   # 〇 among Arabic digits
    ("二〇一九年三月", "2019年三月"),                                         # a year in Chinese digits
    ("〇元", "〇元"),                                                        # a lone 〇 is left alone
    ("江漢區發生火災", "江汉区发生火灾"),                                       # traditional characters folded
    ("<p>路灯<b>不亮</b></p><p>第二段</p>", "路灯不亮\n第二段"),                 # HTML tags and paragraphs
    ("A &amp; B &lt;注意&gt;", "A & B <注意>"),                                # entities unescaped once
    ("<script>alert(1)</script>正文", "正文"),                                # script bodies are not text
    ("正\x00文\x07内\u200b容\ufeff", "正文内容"),                             # NUL, controls, zero-width
    ("  多个   空格\t和\r\n\n\n换行  ", "多个 空格 和\n换行"),                  # white space folded
    ("", ""),
    (None, ""),
])
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_strip_html_leaves_plain_text_with_angle_brackets():
    assert strip_html("温度<30度, 5>3") == "温度<30度, 5>3"


def test_truncate():
    assert truncate("一二三四五", 3) == ("一二三", True)
    assert truncate("一二三", 3) == ("一二三", False)
    assert truncate("一二三", 0) == ("一二三", False)


@pytest.mark.parametrize("text, expected", [
    ("市长您好!小区门口路灯坏了,请相关部门尽快处理,谢谢!", "小区门口路灯坏了,"),
    ("尊敬的领导:楼下噪音扰民。", "楼下噪音扰民。"),
    ("您好,您好,路面塌陷", "路面塌陷"),
    ("没有客套话的投诉", "没有客套话的投诉"),
])
def test_compare_text_removes_boilerplate(normalizer, text, expected):
    assert normalizer.compare(text) == expected


def test_compare_text_with_no_phrases_is_identity():
    assert CompareText([])("您好,谢谢") == "您好,谢谢"


def test_compare_text_prefers_the_longer_phrase():
    compare = CompareText(["您好", "市长您好"])
    assert compare("市长您好,井盖丢了") == "井盖丢了"


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&;#ab/p 〇0１２，。\u0301e\x00\n江漢")), max_size=40))
def test_clean_text_is_idempotent_on_markup_like_text(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert "\x00" not in once


def _plain_clean_once(text):
    """One cleaning pass written the plain way (full NFKC, unconditional regexes): the fast path must agree."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", strip_html(text))
    text = fold_traditional(text)
    text = _CIRCLE_IN_DIGITS.sub("0", _CHINESE_YEAR.sub(lambda m: m.group(1).translate(_CHINESE_DIGITS), text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\s*\n\s*", "\n", re.sub(r"[^\S\n]+", " ", text)).strip()


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(list(
    "，！？：；（）\u3000\xa0…①㎡ｶﾞ\u0301〇零二 \t\r\n<p>&amp;江漢區")))))
def test_fast_cleaning_agrees_with_the_plain_definition(text):
    cleaned = _plain_clean_once(text)
    for _ in range(4):   # to a fixed point, as clean_text does
        again = _plain_clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    assert clean_text(text) == cleaned
