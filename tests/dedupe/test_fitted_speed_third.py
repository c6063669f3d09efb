"""The third round's shortcuts change nothing: a candidate's log-odds from the lean features equals the sum over every
feature for any model, and the decoded sets hold exactly the lists' members."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from dedupe import FittedDeduper
from dedupe.fitted_compare import Probe
from dedupe.fitted_decoded import DecodedFingerprint, one_char
from dedupe.model import FEATURES, Model
from tests.dedupe.helpers import T0, ticket
from tests.dedupe.test_fitted_speed import REPORTS, reference_features
from tests.dedupe.test_fitted_speed_sets import _with_repeats


@pytest.fixture(scope="module")
def prints():
    deduper = FittedDeduper({})
    fps = [deduper.fingerprint(ticket(*r, ext=f"r{i}", citizen="c")) for i, r in enumerate(REPORTS)]
    return deduper, fps + [_with_repeats(fp) for fp in fps[:4]]


def _models(shipped: Model) -> list[Model]:
    """The shipped model, one weighing every feature, one per costly feature alone, and random subsets."""
    rnd = random.Random(11)
    every = {name: rnd.choice([-1, 1]) * rnd.uniform(0.1, 3.0) for name in FEATURES}
    models = [shipped, Model(-1.0, every, 0.5), Model(0.3, {}, 0.5)]
    for alone in ("topic_cosine", "text_containment", "place_x_topic", "rare_x_topic", "rare_shared", "swap_chars"):
        models.append(Model(-2.0, {alone: 1.5, "title_cosine": 0.7}, 0.5))
    for _ in range(20):
        models.append(Model(rnd.uniform(-5, 1), {name: coef for name, coef in every.items() if rnd.random() < 0.4},
                            0.5))
    return models


def test_a_candidates_log_odds_is_the_sum_over_every_feature_for_any_model(prints):
    deduper, fps = prints
    later = T0 + timedelta(days=4, hours=3)
    for model in _models(deduper.model):
        for fa in fps:
            probe = Probe(fa, model)
            for fb in fps:
                expected = reference_features(probe, fb, later, T0)
                dec = DecodedFingerprint(fb)
                assert probe.log_odds(dec, later, T0) == model.log_odds(expected)[0]  # the same float
                lean = probe.measure(dec, later, T0, lean=True)
                assert {k: lean[k] for k in model.coefficients if model.coefficients[k]} == {
                    k: expected[k] for k in model.coefficients if model.coefficients[k]}
                assert probe.measure(dec, later, T0) == expected  # not lean: every feature


def test_the_decoded_sets_hold_the_lists_members_and_one_object_per_character(prints):
    deduper, fps = prints
    for fb in fps:
        dec = DecodedFingerprint(fb)
        assert dec.hash_set == set(dec.hashes) and dec.title_set == set(dec.title)
        assert dec.char_set == set(fb.get("u") or "")
        assert all(c is one_char(c) for c in dec.char_set)
        probe = deduper.probe(fb)
        assert probe.gram_set == set(probe.grams) and probe.char_set == set(probe.chars)
        assert all(c is one_char(c) for c in probe.char_set)
