"""The UTF-8 automaton reports what a character automaton reports, in character offsets."""
from __future__ import annotations

import ahocorasick
from hypothesis import given, settings, strategies as st

from normalizer.automaton import Utf8Automaton

WORDS = ["小区", "区", "物业", "物业费", "a", "ab", "江汉区", "汉", "😀x"]


def _character_spans(text):
    automaton = ahocorasick.Automaton()
    for word in WORDS:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return [(end + 1 - len(word), end + 1, word) for end, word in automaton.iter(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("小区物业费江汉ab😀x \n\ud800é")), max_size=40))
def test_same_matches_as_a_character_automaton(text):
    automaton = Utf8Automaton()
    for word in WORDS:
        automaton.add(word, word)
    automaton.build()
    expected = _character_spans(text)
    assert automaton.spans(text) == expected
    assert list(automaton.values(text)) == [word for _, _, word in expected]
    assert automaton.any_in(text) == bool(expected)


def test_empty_automaton_finds_nothing():
    automaton = Utf8Automaton()
    automaton.build()
    assert automaton.spans("小区") == [] and list(automaton.values("小区")) == [] and not automaton.any_in("小区")
