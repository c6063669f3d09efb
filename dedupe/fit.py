"""`dedupe fit`: the scorer's coefficients from labelled corpora (logistic regression, numpy at fit time only).

Each corpus is streamed in `received_at` order through the live normalizer and fingerprint, with the frequency
table growing in batches exactly as in `cluster`, and each labelled pair is featured as `decide` would see it:
the later report's probe against the earlier report's stored fingerprint. Every corpus is read twice, as given
and with its titles removed (SMS, WeChat and hotline reports have none), and every corpus weighs the same in the
fit, whatever its number of pairs. A corpus whose times are synthetic (evenly spaced, as an export without
times) carries no time information: its `log_days` is set to the other corpora's mean, so it fits nothing there.
"""
from __future__ import annotations

import sys
from datetime import datetime
from typing import IO, Any, Iterable, Mapping

from dedupe.cluster import as_ticket, in_time_order, read_reports, truth_pairs
from dedupe.compare import Probe
from dedupe.model import FEATURES, Model

# Truth corpora up to this size are featured on every pair; larger ones on each report's candidates.
ALL_PAIRS_UP_TO = 3000
L2 = 1.0  # ridge penalty on standardized coefficients


def synthetic_times(times: list[datetime]) -> bool:
    """True when every report is the same interval after the previous one (times made up from file order)."""
    gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:])}
    return len(times) > 2 and len(gaps) == 1


def featured_pairs(reports: list[Mapping[str, Any]], pairs: list[Mapping[str, Any]] | None, deduper, normalizer,
                   drop_titles: bool = False) -> tuple[list[dict[str, float]], list[int], bool]:
    """(features, labels 1/0, times synthetic) of the labelled pairs of one corpus, as `decide` sees them."""
    timed = in_time_order(reports)
    untimed = synthetic_times([at for at, _ in timed])
    if pairs is None:
        pairs = truth_pairs(r for _, r in timed)
    position = {str(r["id"]): i for i, (_, r) in enumerate(timed)}
    partners: dict[str, list[tuple[str, int]]] = {}
    for pair in pairs:
        a, b = str(pair["a"]), str(pair["b"])
        if a not in position or b not in position or a == b:
            continue
        early, late = (a, b) if position[a] < position[b] else (b, a)
        partners.setdefault(late, []).append((early, 1 if pair["label"] == "DUP" else 0))
    stored: dict[str, tuple[dict, datetime]] = {}
    xs, ys = [], []
    for received_at, report in timed:
        rid = str(report["id"])
        ticket = as_ticket(report, received_at, normalizer, drop_titles)
        fingerprint, grams = deduper.analyse(ticket)
        if rid in partners:
            probe = Probe(fingerprint, deduper.model)
            for early, label in partners[rid]:
                fp, at = stored[early]
                xs.append(probe.features(fp, received_at, at))
                ys.append(label)
        stored[rid] = (fingerprint, received_at)
        if deduper.observe(grams):
            deduper.df.refresh()
    return xs, ys, untimed


def logistic(x, y, w, l2: float = L2, iterations: int = 50):
    """Weighted, ridge-penalized logistic regression by Newton's method; (intercept, coefficients)."""
    import numpy as np

    n, k = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(k + 1)
    penalty = np.full(k + 1, l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -35, 35)))
        gradient = design.T @ (w * (p - y)) + penalty * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta[0], beta[1:]


def best_f1_threshold(p, y, w) -> float:
    """The probability threshold with the best weighted F1 on the training pairs (the higher among equals)."""
    import numpy as np

    best, best_t = -1.0, 0.5
    for t in np.arange(0.20, 0.951, 0.01):
        pred = p >= t
        tp = float(np.sum(w * (pred & (y == 1))))
        fp = float(np.sum(w * (pred & (y == 0))))
        fn = float(np.sum(w * (~pred & (y == 1))))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 >= best:
            best, best_t = f1, float(t)
    return round(best_t, 2)


def fit(sets: Iterable[tuple[str, list[Mapping[str, Any]], list[Mapping[str, Any]] | None]], make_deduper,
        normalizer, log: IO[str] | None = None) -> Model:
    """A model fitted on (name, reports, pairs or None for truth) sets; `make_deduper()` gives a fresh deduper."""
    import numpy as np

    blocks = []
    for name, reports, pairs in sets:
        for drop_titles in (False, True):
            xs, ys, untimed = featured_pairs(reports, pairs, make_deduper(), normalizer, drop_titles)
            if log:
                log.write(f"{name}{' (no titles)' if drop_titles else ''}: {len(ys)} pairs, {sum(ys)} DUP"
                          f"{', times synthetic: log_days not fitted' if untimed else ''}\n")
            if ys:
                blocks.append((np.array([[f[k] for k in FEATURES] for f in xs]), np.array(ys, dtype=float), untimed))
    timed = [x[:, FEATURES.index("log_days")] for x, _, untimed in blocks if not untimed]
    mean_days = float(np.mean(np.concatenate(timed))) if timed else 0.0
    for x, _, untimed in blocks:
        if untimed:
            x[:, FEATURES.index("log_days")] = mean_days
    x = np.vstack([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    # Every corpus (and its title-less reading) weighs the same: len(blocks) units of weight in all.
    w = np.concatenate([np.full(len(b[1]), len(y) / (len(blocks) * len(b[1]))) for b in blocks])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    intercept, coefs = logistic((x - mean) / scale, y, w)
    raw = coefs / scale
    intercept = float(intercept - np.sum(raw * mean))
    p = 1.0 / (1.0 + np.exp(-(x @ raw + intercept)))
    threshold = best_f1_threshold(p, y, w)
    names = ", ".join(name for name, _, _ in sets)
    return Model(intercept, {k: float(v) for k, v in zip(FEATURES, raw)}, threshold, 0.0, names)


def run_fit(corpora: list[str], pairs: list[str], out: str | None, profile: Mapping[str, Any] | None) -> int:
    """CLI body of `dedupe fit`: the n-th pairs file goes with the n-th corpus; the rest are truth corpora."""
    from dedupe.engine import Deduper
    from normalizer.normalize import Normalizer

    sets = []
    for i, corpus in enumerate(corpora):
        sets.append((corpus.rsplit("/", 1)[-1], read_reports(corpus), read_reports(pairs[i]) if i < len(pairs)
                     else None))
    model = fit(sets, lambda: Deduper(profile), Normalizer(profile), log=sys.stderr)
    text = ("# Fitted by `python -m gateway dedupe fit` on: " + model.fitted_on + "\n" + model.to_toml())
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0
