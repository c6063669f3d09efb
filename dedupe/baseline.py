"""The yardstick: greedy clustering on character-bigram Jaccard of title + text, at its best threshold.

Each report joins the case of its most similar earlier report when their Jaccard reaches the threshold. The most
similar earlier report does not depend on the threshold, so it is found once (numpy: an offline tool only) and
every threshold from 0.02 to 0.60 is scored.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from normalizer.times import parse_time


def _bigram_ids(text: str, vocab: dict[str, int]) -> list[int]:
    text = "".join(text.split())
    return sorted({vocab.setdefault(text[i:i + 2], len(vocab)) for i in range(len(text) - 1)})


def best_matches(reports: list[Mapping[str, Any]], drop_titles: bool = False) -> list[tuple[int, float]]:
    """(index of the most similar earlier report or -1, its Jaccard) per report, in time order."""
    import numpy as np

    vocab: dict[str, int] = {}
    sets = [_bigram_ids(("" if drop_titles else (r.get("title") or "")) + (r.get("text") or ""), vocab)
            for r in reports]
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    postings: list[list[int]] = [[] for _ in vocab]
    out = []
    for i, grams in enumerate(sets):
        if i and grams:
            hits = [postings[g] for g in grams if postings[g]]
            if hits:
                counts = np.bincount(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]), minlength=i)
                jac = counts / np.maximum(1, sizes[:i] + len(grams) - counts)
                j = int(np.argmax(jac[::-1]))  # ties: the newest
                j = i - 1 - j
                out.append((j, float(jac[j])))
            else:
                out.append((-1, 0.0))
        else:
            out.append((-1, 0.0))
        for g in grams:
            postings[g].append(i)
    return out


def best_threshold(reports: Iterable[Mapping[str, Any]], pairs: list[Mapping[str, Any]],
                   drop_titles: bool = False) -> dict[str, Any] | None:
    """The baseline's figures at the threshold with the best F1 on these pairs (None without numpy)."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return None
    from dedupe.cluster import score_pairs

    timed = sorted(enumerate(reports), key=lambda ir: (parse_time(str(ir[1]["received_at"])), ir[0]))
    ordered = [r for _, r in timed]
    matches = best_matches(ordered, drop_titles)
    best = None
    for step in range(2, 61):
        threshold = step / 100
        case = []
        for i, (j, jac) in enumerate(matches):
            case.append(case[j] if j >= 0 and jac >= threshold else i)
        case_of = {str(r["id"]): c for r, c in zip(ordered, case)}
        result = score_pairs(case_of, pairs)
        result.pop("misjudged")
        if best is None or result["f1"] > best["f1"]:
            best = dict(result, threshold=threshold)
    return best
