"""The fitted engine's shortcuts change nothing: the same features, log-odds, fingerprints and decisions as the
straightforward code they replaced (kept here as the reference), and the decoded-fingerprint cache is bounded and
never serves another report's fingerprint."""
from __future__ import annotations

import math
from datetime import timedelta

import pytest

from dedupe import Candidate, FittedDeduper
from dedupe.fitted_compare import AREA_SUBKINDS, Probe
from dedupe.fitted_decoded import DecodedCache, DecodedFingerprint, char_weights_of, names_of, topic_chars
from dedupe.fitted_fingerprint import bigrams, chinese_chars, rarest, telling_chars_by_corpus, unpack_grams
from tests.dedupe.helpers import (DOOR_1, DOOR_2, DOOR_NEAR, NOISE_A, NOISE_B, OTHER_PROBLEM, POLICY_1, POLICY_2,
                                  ROAD_1, ROAD_2, T0, TEMPLATE_1, TEMPLATE_2, ticket)

REPORTS = [NOISE_A, NOISE_B, OTHER_PROBLEM, POLICY_1, POLICY_2, ROAD_1, ROAD_2, TEMPLATE_1, TEMPLATE_2,
           DOOR_1, DOOR_2, DOOR_NEAR, ("", NOISE_A[1]), ("", "桂苑小区南门烧烤摊又开到凌晨了"), ("停水", "")]


def reference_features(probe: Probe, fb, received_at=None, cand_at=None) -> dict[str, float]:
    """`Probe.features` as it was written before the decoded fast path (commit 8bd25af, with cb6ef99's time features)."""
    self = probe
    hashes, cand_w = unpack_grams(fb.get("g", ""), fb.get("w", ""))
    grams = self.grams
    shared_w = [grams[h] for h in hashes if h in grams]
    s = sum(w * w for w in shared_w)
    names = self.name_grams | names_of(fb)
    topic_a = sum(w * w for h, w in grams.items() if h not in names)
    topic_b = sum(w * w for h, w in zip(hashes, cand_w) if h not in names)
    topic_s = sum(grams[h] * w for h, w in zip(hashes, cand_w) if h in grams and h not in names)
    topic = topic_s / math.sqrt(topic_a * topic_b) if topic_a and topic_b else 0.0
    cand_set = set(hashes)
    unshared = sum(1 for h in self.rarest if h not in cand_set) + sum(1 for h in hashes[:6] if h not in grams)
    rare_unshared = unshared / max(1, len(self.rarest) + len(hashes[:6]))
    own_a = sum(1 for h in self.rarest if h not in cand_set) / max(1, len(self.rarest))
    own_b = sum(1 for h in hashes[:6] if h not in grams) / max(1, len(hashes[:6]))
    nb = fb.get("gn") or 0.0
    na = self.norm
    contain = topic_s / min(topic_a, topic_b) if topic_a and topic_b else 0.0
    overall = s / min(na * na, nb * nb) if na and nb else 0.0
    title_cos = 0.0
    both_titles = 0.0
    if self.title and fb.get("h"):
        both_titles = 1.0
        th, _ = unpack_grams(fb["h"], "")
        tb = fb.get("hn") or 0.0
        ts = sum(self.title[h] ** 2 for h in th if h in self.title)
        title_cos = ts / (self.title_norm * tb) if self.title_norm and tb else 0.0
    top = self.top_weight
    rare = [w for w in shared_w if w >= 0.6 * top]
    names = self.shared_names(fb)
    strong = any(x[2] == y[2] and x[2] not in AREA_SUBKINDS or x[2] != y[2] for x, y in names)
    area = any(x[2] == y[2] and x[2] in AREA_SUBKINDS for x, y in names)
    roads_only = strong and all(x[2] == y[2] == "road" for x, y in names
                                if not (x[2] == y[2] and x[2] in AREA_SUBKINDS))
    ab = fb.get("a")
    shared_admin = bool(ab and self.admin and {a[0] for a in self.admin} & {b[0] for b in ab})
    days = 0.0
    if received_at is not None and cand_at is not None:
        days = abs((received_at - cand_at).total_seconds()) / 86400
    char_cosine = 0.0
    swap_chars = 0.0
    other = fb.get("u")
    if other and self.chars_norm:
        mine = self.chars
        shared_c = sum(mine[c] ** 2 for c in other if c in mine)
        mass_b = sum(w ** 2 for w in char_weights_of(fb))
        char_cosine = shared_c / (self.chars_norm * math.sqrt(mass_b))
        mass_a = self.chars_norm ** 2
        swap_chars = char_cosine ** 3 * min(1.0 - shared_c / mass_a, 1.0 - shared_c / mass_b)
    conflict = 1.0 if self.conflicts(fb) else 0.0
    place = 1.0 if strong else 0.0
    rarest_shared = max(shared_w, default=0.0) / top
    return {
        "topic_cosine": min(1.0, topic), "rare_unshared": rare_unshared, "text_containment": min(1.0, contain),
        "title_cosine": title_cos, "both_titles": both_titles, "rare_shared": math.log1p(len(rare)),
        "rarest_shared": rarest_shared, "shared_place": place, "shared_area": 1.0 if area and not strong else 0.0,
        "road_only": 1.0 if roads_only else 0.0,
        "road_topics_apart": 1.0 if roads_only and self.topic and topic_chars(fb) and self.topic.isdisjoint(
            topic_chars(fb)) else 0.0,
        "place_conflict": conflict, "admin_conflict": 1.0 if self.admin_conflicts(fb) else 0.0,
        "shared_admin": 1.0 if shared_admin else 0.0, "log_days": math.log1p(days),
        "within_day": math.exp(-days), "within_week": math.exp(-days / 7), "within_month": math.exp(-days / 30),
        "short_text": 1.0 / math.sqrt(1.0 + min(self.size, fb.get("n", 0))),
        "conflict_x_text": conflict * min(1.0, overall), "place_x_topic": place * min(1.0, topic),
        "rare_x_topic": rarest_shared * min(1.0, topic), "char_cosine": char_cosine,
        "rare_x_chars": rarest_shared * char_cosine,
        "swap_bigrams": min(own_a, own_b) * min(1.0, overall) ** 3,
        "near_repeat": (1.0 - max(own_a, own_b)) * min(1.0, overall) ** 3, "swap_chars": swap_chars,
    }


@pytest.fixture(scope="module")
def prints():
    deduper = FittedDeduper({})
    return deduper, [deduper.fingerprint(ticket(*r, ext=f"r{i}", citizen="c")) for i, r in enumerate(REPORTS)]


def test_features_and_log_odds_are_the_same_floats_as_the_reference(prints):
    deduper, fps = prints
    later = T0 + timedelta(days=3, hours=5)
    for fa in fps:
        probe = deduper.probe(fa)
        for fb in fps:
            expected = reference_features(probe, fb, later, T0)
            assert probe.features(fb, later, T0) == expected  # exactly, every float
            # Both the sum without the zero-coefficient terms and the topic left out when the model ignores it.
            assert probe.log_odds(DecodedFingerprint(fb), later, T0) == deduper.model.log_odds(expected)[0]
            assert probe.compare(fb, later, T0).logit == deduper.model.log_odds(expected)[0]


def reference_make_rarest(grams, df, limit):
    """`rarest` as it was: one sort of (frequency, position, gram) tuples."""
    keyed = sorted((df.count(g), grams[g], g) for g in grams)[:limit]
    return [(g, df.log_total - math.log(c + 1.0), g in df.corpus) for c, _, g in keyed]


def test_one_ranking_gives_the_text_title_and_lead_picks_of_separate_sorts():
    deduper = FittedDeduper({})
    deduper.observe(bigrams("桂苑小区南门外的烧烤摊每天营业到凌晨两点"))
    deduper.df.refresh()
    for title, text in REPORTS:
        body = title + text
        for limit in (1, 6, 16, 64, 500):
            assert rarest(bigrams(body), deduper.df, limit) == reference_make_rarest(bigrams(body), deduper.df, limit)
        chars = chinese_chars(body)
        chosen, weights = telling_chars_by_corpus(chars, deduper.df, 24)
        assert chosen == "".join(sorted(
            {c for c in body if "\u4e00" <= c <= "\u9fff"},
            key=lambda c: (-deduper.df.weight(c), body.index(c))))[:24]
        assert weights == [round(deduper.df.weight(c) * 16) / 16 for c in chosen]


def test_the_cache_gives_the_decisions_of_no_cache(prints):
    _, fps = prints
    cached, uncached = FittedDeduper({}), FittedDeduper({"dedupe": {"fitted": {"decoded_cache": 0}}})
    candidates = [Candidate(100 + i, i, T0 - timedelta(days=i), fp) for i, fp in enumerate(fps)]
    for _ in range(2):  # the second round reads every candidate from the cache
        for fp in fps:
            assert cached.decide(fp, T0, candidates) == uncached.decide(fp, T0, candidates)
    assert len(cached.decoded) == len(fps) and cached.decoded.hits and not len(uncached.decoded)


def test_a_reused_report_id_is_decoded_again_not_served_stale(prints):
    _, fps = prints
    deduper = FittedDeduper({})
    first = deduper.decide(fps[1], T0, [Candidate(7, 1, T0, fps[0])])   # NOISE_B against NOISE_A: joins
    again = deduper.decide(fps[1], T0, [Candidate(7, 1, T0, fps[3])])   # id 1 now another store's report
    assert first.case_id == 7 and again.case_id is None
    assert again.evidence == FittedDeduper({}).decide(fps[1], T0, [Candidate(7, 1, T0, fps[3])]).evidence
    # An equal fingerprint read again (the store returns a new dict each time) is a hit.
    hits = deduper.decoded.hits
    deduper.decide(fps[1], T0, [Candidate(7, 1, T0, dict(fps[3]))])
    assert deduper.decoded.hits == hits + 1


def test_the_cache_keeps_only_the_most_recently_used(prints):
    _, fps = prints
    cache = DecodedCache(3)
    for i, fp in enumerate(fps[:5]):
        cache.get(i, fp)
    assert list(cache.entries) == [2, 3, 4]
    cache.get(2, fps[2])  # a hit makes it the most recent
    cache.get(9, fps[0])
    assert list(cache.entries) == [4, 2, 9] and len(cache) == 3
    assert cache.get(9, fps[0]).fp is fps[0]


def test_hashes_read_as_the_byte_by_byte_reader_did():
    from base64 import b64encode
    from dedupe.fitted_fingerprint import pack_hashes, unpack_hashes
    hashes = [0, 1, 0xFFFFFF, 0x123456, 0xABCDEF, 0x00FF00]
    raw = b"".join(h.to_bytes(3, "big") for h in hashes)
    assert pack_hashes(hashes) == raw
    assert unpack_hashes(b64encode(raw).decode()) == hashes
    odd = raw + b"\x07\x08"  # never written; read as before, the tail as one short number
    assert unpack_hashes(b64encode(odd).decode()) == [int.from_bytes(odd[i:i + 3], "big") for i in range(0, 20, 3)]
    assert unpack_hashes("") == []


def test_ranking_in_c_picks_what_the_sort_by_a_python_key_picked():
    import random
    from dedupe.ranking import rank_postings

    def reference(postings, limit):
        shared: dict[int, int] = {}
        for ids in postings:
            for report_id in ids:
                shared[report_id] = shared.get(report_id, 0) + 1
        return sorted(shared, key=lambda r: (-shared[r], -r))[:limit]

    rnd = random.Random(7)
    for _ in range(500):
        pool = rnd.randint(1, 2000)
        postings = [list(dict.fromkeys(rnd.randint(1, pool) for _ in range(rnd.randint(0, 200))))
                    for _ in range(rnd.randint(0, 70))]
        limit = rnd.choice([0, 1, 3, 64, 64, 500])
        assert rank_postings(postings, limit) == reference(postings, limit)


def test_a_fingerprint_read_as_json_text_decides_as_its_dict(prints):
    import json
    from dedupe.types import StoredFingerprint
    _, fps = prints
    deduper, plain = FittedDeduper({}), FittedDeduper({})
    stored = [Candidate(100 + i, i, T0, StoredFingerprint(json.dumps(fp, ensure_ascii=False)))
              for i, fp in enumerate(fps)]
    dicts = [Candidate(100 + i, i, T0, fp) for i, fp in enumerate(fps)]
    for _ in range(2):
        # The second round is read from the cache by the JSON text alone: none of those fingerprints is parsed.
        for fp in fps:
            assert deduper.decide(fp, T0, stored) == plain.decide(fp, T0, dicts)
    again = [Candidate(c.case_id, c.report_id, c.received_at, StoredFingerprint(c.fingerprint.text)) for c in stored]
    deduper.decide(fps[0], T0, again)
    assert sum(c.fingerprint._parsed is not None for c in again) <= 1  # the evidence's report alone
    assert dict(stored[0].fingerprint) == fps[0] and stored[0].fingerprint == fps[0]
