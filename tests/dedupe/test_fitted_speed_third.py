"""The third round's shortcuts change nothing: a candidate's log-odds from the lean features equals the sum over every
feature for any model, the decoded sets hold exactly the lists' members, and jieba's tables read from the cache
file are the ones derived from dict.txt."""
from __future__ import annotations

import os
import random
from datetime import timedelta

import pytest

from dedupe import FittedDeduper
from dedupe import idf
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


@pytest.fixture()
def dict_txt(tmp_path, monkeypatch):
    """A small dict.txt in jieba's format, and the cache directory under tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "dict.txt"
    path.write_text("小区 300 n\n桂苑 5 ns\n烧烤摊 12 n\n噪音 80 n\n扰民 40 v\n路面 50 n\n塌陷 9 v\n", encoding="utf-8")
    return str(path)


def test_jiebas_tables_are_read_back_from_the_cache_file_as_derived(dict_txt):
    derived = idf.derive_jieba_tables(dict_txt)
    cache = idf.prior_cache_file(dict_txt)
    assert cache.startswith(os.environ["XDG_CACHE_HOME"]) and not os.path.exists(cache)
    assert idf._jieba_tables.__wrapped__(dict_txt) == derived  # derived, then kept
    assert os.path.exists(cache) and idf._read_cached_tables(cache) == derived
    os.utime(cache, (1, 1))  # ... and read back from the file the next time, float for float
    tables = idf._jieba_tables.__wrapped__(dict_txt)
    assert tables == derived and os.path.getmtime(cache) == 1
    assert not [n for n in os.listdir(os.path.dirname(cache)) if n.startswith(".")]  # no temporary file left


def test_a_broken_cache_file_is_derived_again_and_an_edited_dict_gets_a_new_file(dict_txt):
    cache = idf.prior_cache_file(dict_txt)
    os.makedirs(os.path.dirname(cache))
    with open(cache, "wb") as fh:
        fh.write(b"\x00not marshal")
    assert idf._jieba_tables.__wrapped__(dict_txt) == idf.derive_jieba_tables(dict_txt)
    assert idf._read_cached_tables(cache) == idf.derive_jieba_tables(dict_txt)  # rewritten whole
    with open(dict_txt, "a", encoding="utf-8") as fh:
        fh.write("停电 70 v\n")
    assert idf.prior_cache_file(dict_txt) != cache
    assert "停电" in idf._jieba_tables.__wrapped__(dict_txt)[0]


def test_an_unwritable_cache_directory_only_costs_the_derivation(dict_txt, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert idf._jieba_tables.__wrapped__(dict_txt) == idf.derive_jieba_tables(dict_txt)


def test_jiebas_dict_is_found_without_importing_jieba():
    import importlib.util
    spec = importlib.util.find_spec("jieba")
    if spec is None:
        pytest.skip("jieba is not installed")
    path = idf._jieba_dict.__wrapped__(None)
    assert path == os.path.join(os.path.dirname(spec.origin), "dict.txt") and os.path.exists(path)


def test_a_probe_that_cannot_conflict_finds_no_conflict_the_long_way(prints):
    deduper, fps = prints
    quiet = [fa for fa in fps if not deduper.probe(fa).can_conflict]
    assert quiet  # the made-up reports hold some without a primary name or door number
    for fa in quiet:
        probe = deduper.probe(fa)
        for fb in fps:
            assert probe.conflicts(fb) == [] and not probe.has_conflict(DecodedFingerprint(fb))


def test_a_models_weighed_terms_are_its_nonzero_coefficients_in_order():
    model = Model(0.0, {"title_cosine": 0.5, "topic_cosine": 0.0, "shared_place": -2.0, "log_days": 0.0}, 0.5)
    assert model.weighed == (("title_cosine", "shared_place"), (0.5, -2.0))
    assert model.weighed is model.weighed  # taken once


def test_a_probe_without_door_numbers_has_no_door_conflict_with_anyone(prints):
    deduper, fps = prints
    for fa in fps:
        probe = deduper.probe(fa)
        if not probe.numbers:
            assert not any(probe.has_door_conflict(DecodedFingerprint(fb)) for fb in fps)


def test_stored_answers_as_isinstance_for_every_kind_of_mapping():
    from types import MappingProxyType

    from dedupe.fitted_decoded import _stored
    from dedupe.types import StoredFingerprint

    class Sub(StoredFingerprint):
        __slots__ = ()

    for fp in ({"v": 5}, StoredFingerprint('{"v": 5}'), Sub('{"v": 5}'), MappingProxyType({"v": 5})):
        assert _stored(fp) == isinstance(fp, StoredFingerprint)
