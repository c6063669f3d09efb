"""The per-report structures scoring reads once (names by subkind and by tail, index keys, set sums) decide as the
per-pair code did: the same yes/no, the same floats, the same keys; and `dedupe cluster`'s collector freezes end
with the run."""
from __future__ import annotations

import gc
import io
import json
from base64 import b64decode, b64encode
from datetime import timedelta

import pytest

from dedupe import FittedDeduper
from dedupe import cluster as cluster_module
from dedupe.compare import (NameIndex, any_door_conflict, door_conflicts, has_place_conflict, name_keys,
                            names_by_subkind, place_conflicts)
from dedupe.fitted_compare import CONFLICT_SUBKINDS
from dedupe.fitted_decoded import DecodedCache, DecodedFingerprint
from dedupe.idf import DocumentFrequencies
from dedupe.types import StoredFingerprint
from tests.dedupe.helpers import T0, ticket
from tests.dedupe.test_fitted_speed import REPORTS, reference_features

PLACES = [
    [["桂苑", "小区", "community", True], ["解放", "大道", "road", False]],
    [["桂园", "小区", "community", True], ["解放", "大道", "road", True]],
    [["桂苑", "花园", "community", True]],
    [["解放", "大道", "road", True], ["东湖新华", "路", "road", False]],
    [["新华", "路", "road", True]],
    [["华新", "路", "road", True], ["315", "路", "bus_line", True]],
    [["柳家湾原", "菜市场", "shop", True]],
    [["原柳家湾", "菜市场", "shop", False]],
    [],
]


@pytest.fixture(scope="module")
def prints():
    deduper = FittedDeduper({})
    return deduper, [deduper.fingerprint(ticket(*r, ext=f"r{i}", citizen="c")) for i, r in enumerate(REPORTS)]


def test_a_place_conflict_from_names_by_subkind_is_the_one_place_conflicts_finds():
    for ea in PLACES:
        for eb in PLACES:
            subs = ({e[2] for e in ea if e[3]} & {e[2] for e in eb if e[3]}) & CONFLICT_SUBKINDS
            expected = bool(place_conflicts(ea, eb, subs)) if subs else False
            assert (bool(subs) and has_place_conflict(names_by_subkind(ea), names_by_subkind(eb), subs)) == expected


def test_names_that_may_not_share_share_nothing():
    for ea in PLACES:
        index = NameIndex(ea)
        for eb in PLACES:
            if not index.may_share(name_keys(eb)):
                assert index.shared(eb) == []


def _with_repeats(fp):
    """The fingerprint with its first title hash and first telling character repeated (a 3-byte hash collision)."""
    out = dict(fp)
    if out.get("h"):
        raw = b64decode(out["h"])
        out["h"] = b64encode(raw + raw[:3]).decode("ascii")
    if out.get("u"):
        out["u"] = out["u"] + out["u"][0]
        out["uw"] = b64encode(b64decode(out["uw"]) + b64decode(out["uw"])[:1]).decode("ascii")
    return out


def test_repeated_title_hashes_and_characters_count_as_often_as_the_list_did(prints):
    deduper, fps = prints
    later = T0 + timedelta(days=2)
    for fa in fps:
        probe = deduper.probe(fa)
        for fb in map(_with_repeats, fps):
            dec = DecodedFingerprint(fb)
            assert not dec.title_distinct or not fb.get("h")
            expected = reference_features(probe, fb, later, T0)
            assert probe.measure(dec, later, T0) == expected
            assert probe.log_odds(dec, later, T0) == deduper.model.log_odds(expected)[0]


def test_index_keys_are_kept_per_fingerprint_and_handed_out_as_copies(prints):
    _, fps = prints
    deduper, fresh = FittedDeduper({}), FittedDeduper({})
    for fp in fps:
        keys = deduper.blocking_keys(fp)
        keys.append("spoiled")
        assert deduper.blocking_keys(fp) == fresh.blocking_keys(dict(fp)) == fresh._blocking_keys(fp)
        assert deduper.query_keys(fp)[:len(keys) - 1] == keys[:-1]
    assert len(deduper._keys) == len(fps)


def test_merge_adds_a_batch_to_what_count_said():
    df = DocumentFrequencies({"小区": 3.0}, 10.0, 4, {"桂": 0.5, "苑": 0.25})
    before = {g: df.count(g) for g in ("小区", "桂苑", "苑桂", "xy")}
    df.merge({"小区": 2, "桂苑": 1, "苑桂": 5, "xy": 1}, 3)
    assert df.df == {"小区": before["小区"] + 2, "桂苑": before["桂苑"] + 1, "苑桂": before["苑桂"] + 5,
                     "xy": before["xy"] + 1}
    assert df.corpus == {"小区": 2, "桂苑": 1, "苑桂": 5, "xy": 1} and df.docs == 3


def test_cluster_freezes_the_collector_only_while_it_runs(tmp_path, monkeypatch):
    from tests.dedupe.helpers import NOISE_A, NOISE_B, ROAD_1
    path = tmp_path / "in.jsonl"
    lines = [{"id": i, "received_at": f"2026-05-0{i + 1}T09:00:00+08:00", "title": t, "text": x}
             for i, (t, x) in enumerate([NOISE_A, NOISE_B, ROAD_1, NOISE_A])]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    plain = io.StringIO()
    cluster_module.run_cluster(str(path), plain, {"dedupe": {"engine": "fitted"}})
    monkeypatch.setattr(cluster_module, "FREEZE_EVERY", 1)
    frozen = io.StringIO()
    assert cluster_module.run_cluster(str(path), frozen, {"dedupe": {"engine": "fitted"}}) == 4
    assert frozen.getvalue() == plain.getvalue() and gc.get_freeze_count() == 0


def test_the_evidence_read_from_the_decoded_candidate_is_the_evidence_of_its_fingerprint(prints):
    deduper, fps = prints
    later = T0 + timedelta(days=1)
    for fa in fps:
        probe = deduper.probe(fa)
        for fb in fps:
            text = json.dumps(fb, ensure_ascii=False)
            dec = DecodedFingerprint(StoredFingerprint(text))
            again = StoredFingerprint(text)  # the same report read from the store once more
            weights_before = dec._weights
            assert probe.compare(again, later, T0, dec) == probe.compare(fb, later, T0)
            assert again._parsed is None  # read through the decoded one, never parsed
            assert dec._weights is weights_before  # the topic's weights were not kept in the cached one


def test_a_report_read_back_from_the_store_is_recognised_as_text_from_then_on(prints):
    _, fps = prints
    cache = DecodedCache(8)
    dec = cache.get(1, fps[0])  # decoded from the dict its batch made
    text = json.dumps(fps[0], ensure_ascii=False)
    assert cache.get(1, StoredFingerprint(text)) is dec and isinstance(dec.fp, StoredFingerprint)
    later = StoredFingerprint(text)
    assert cache.get(1, later) is dec and later._parsed is None and cache.hits == 2
    other = StoredFingerprint(json.dumps(fps[1], ensure_ascii=False))  # id 1 reused by another report
    assert cache.get(1, other) is not dec and cache.misses == 2


def test_a_door_conflict_as_yes_or_no_is_the_list_door_conflicts_writes():
    numbers = [[["解放", "大道", 354]], [["解放", "大道", 1731]], [["解放", "大道", 380]], [["中山", "路", 1731]],
               [["解放", "大道", 354], ["中山", "路", 12]], []]
    for na in numbers:
        for nb in numbers:
            for gap in (0, 30, 100, 2000):
                assert any_door_conflict(na, nb, gap) == bool(door_conflicts(na, nb, gap))
