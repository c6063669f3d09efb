"""`dedupe fit`: the scorer's coefficients from labelled corpora (logistic regression, numpy at fit time only).

Each corpus is streamed in `received_at` order through the live normalizer and fingerprint, with the frequency
table growing in batches exactly as in `cluster`, and each labelled pair is featured as `decide` would see it:
the later report's probe against the earlier report's stored fingerprint. Every corpus is read twice, as given
and with its titles removed (SMS, WeChat and hotline reports have none), and every corpus weighs the same in the
fit, whatever its number of pairs. A corpus whose times are synthetic (evenly spaced, as an export without
times) carries no time information: its time features are set to the other corpora's mean, so they fit nothing there.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import IO, Any, Iterable, Mapping

from dedupe.cluster import as_ticket, in_time_order, read_reports, truth_pairs
from dedupe.model import FEATURES, FITTED, SIGNS, Model

# Truth corpora up to this size are featured on every pair; larger ones on each report's candidates.
ALL_PAIRS_UP_TO = 3000
L2 = 3.0  # ridge penalty on standardized coefficients
# Features read from the two reports' times: a corpus whose times are made up gets their mean (it fits nothing).
TIME_FEATURES = ("log_days", "within_day", "within_week", "within_month")


def synthetic_times(times: list[datetime]) -> bool:
    """True when every report is the same interval after the previous one (times made up from file order)."""
    gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:])}
    return len(times) > 2 and len(gaps) == 1


# Template pairs made from a corpus: this many reports that name a place are re-told at another place of the corpus.
TEMPLATES_PER_CORPUS = 150


def _elsewhere(report: Mapping[str, Any], fingerprint: Mapping[str, Any], places: dict[str, list[str]],
               number: int) -> dict[str, Any] | None:
    """The report with its first named place (title or lead) replaced by another place of the same kind."""
    for core, suffix, sub, primary in fingerprint.get("e") or ():
        others = [p for p in places.get(sub, ()) if p != core + suffix and core not in p]
        if not primary or len(core) < 2 or not others:
            continue
        name, other = core + suffix, others[number * 7919 % len(others)]
        title, text = report.get("title") or "", report.get("text") or ""
        if name not in title + text:
            continue
        return dict(report, title=title.replace(name, other), text=text.replace(name, other))
    return None


def featured_pairs(reports: list[Mapping[str, Any]], pairs: list[Mapping[str, Any]] | None, deduper, normalizer,
                   drop_titles: bool = False, templates: int = TEMPLATES_PER_CORPUS
                   ) -> tuple[list[dict[str, float]], list[int], bool]:
    """(features, labels 1/0, times synthetic) of the labelled pairs of one corpus, as `decide` sees them
    (template pairs last).

    Besides the labelled pairs, `templates` reports that name a place are told again an hour later at another
    place the corpus names (same kind): one complaint posted for two compounds, a NOT pair by the labelling rule;
    and the same reports posted again two hours later, whole or their first three fifths: a DUP pair (the
    labelled pairs hold few exact repeats, so without these the fit never learns that a repeat is one case);
    `templates` pairs of both kinds in all.
    """
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
    made_up: list[bool] = []  # per row: a template or repost pair (fits the weights, not the threshold)
    places: dict[str, list[str]] = {}
    every = max(1, len(timed) // max(1, templates * 3))
    made = reposts = 0
    for number, (received_at, report) in enumerate(timed):
        rid = str(report["id"])
        ticket = as_ticket(report, received_at, normalizer, drop_titles)
        fingerprint, grams = deduper.analyse(ticket)
        if rid in partners:
            probe = deduper.probe(fingerprint)
            for early, label in partners[rid]:
                fp, at = stored[early]
                xs.append(probe.features(fp, received_at, at))
                ys.append(label)
                made_up.append(False)
        if made + reposts < templates and number % every == 0:

            def told_again(copy: Mapping[str, Any], hours: int, label: int) -> None:
                """A made-up pair: `copy` received `hours` later, judged against this report."""
                later = received_at + timedelta(hours=hours)
                other, _ = deduper.analyse(as_ticket(copy, later, normalizer, drop_titles))
                xs.append(deduper.probe(other).features(fingerprint, later, received_at))
                ys.append(label)
                made_up.append(True)

            copy = _elsewhere(report, fingerprint, places, number)
            if copy is not None:
                told_again(copy, 1, 0)
                made += 1
            # ... and, as the template's counterpart, the same report posted again by another citizen (forwarded
            # in a residents' group), whole or its first part only: a DUP pair by the labelling rule.
            text = report.get("text") or ""
            told_again(dict(report, text=text if number % 2 else text[:max(12, len(text) * 3 // 5)]), 2, 1)
            reposts += 1
        for core, suffix, sub, _ in fingerprint.get("e") or ():
            if len(core) >= 2 and len(places.setdefault(sub, [])) < 500:
                places[sub].append(core + suffix)
        stored[rid] = (fingerprint, received_at)
        if deduper.observe(grams):
            deduper.df.refresh()
    featured_pairs.templates_made, featured_pairs.reposts_made = made, reposts
    featured_pairs.made_up = made_up
    return xs, ys, untimed


def bounded_logistic(x, y, w, bounds, l2: float = L2):
    """Weighted, ridge-penalized logistic regression with bounds on the coefficients (L-BFGS-B); (intercept,
    coefficients). scipy is needed at fit time only."""
    import numpy as np
    from scipy.optimize import minimize

    n, k = x.shape
    design = np.hstack([np.ones((n, 1)), x])

    def loss(beta):
        z = design @ beta
        # log(1 + e^z) - y z, stable for large |z|
        value = float(np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * np.sum(beta[1:] ** 2))
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))
        grad = design.T @ (w * (p - y))
        grad[1:] += l2 * beta[1:]
        return value, grad

    result = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B", bounds=[(None, None)] + list(bounds),
                      options={"maxiter": 2000})
    return float(result.x[0]), result.x[1:]


# The threshold maximizes F-beta on the training pairs with beta < 1: precision weighs more, because a decision
# compares a report with many candidates (each a chance of a false merge) where a labelled pair is one.
BETA = 0.5


def best_f1_threshold(p, y, w, beta: float = BETA) -> float:
    """The probability threshold with the best weighted F-beta on the training pairs (the higher among equals)."""
    import numpy as np

    best, best_t = -1.0, 0.5
    for t in np.arange(0.20, 0.951, 0.01):
        pred = p >= t
        tp = float(np.sum(w * (pred & (y == 1))))
        fp = float(np.sum(w * (pred & (y == 0))))
        fn = float(np.sum(w * (~pred & (y == 1))))
        b2 = beta * beta
        f1 = (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0
        if f1 >= best:
            best, best_t = f1, float(t)
    return round(best_t, 2)


def fit(sets: Iterable[tuple[str, list[Mapping[str, Any]], list[Mapping[str, Any]] | None]], make_deduper,
        normalizer, log: IO[str] | None = None, features: Iterable[str] | None = None) -> Model:
    """A model fitted on (name, reports, pairs or None for truth) sets; `make_deduper()` gives a fresh deduper."""
    import numpy as np

    blocks = []
    for name, reports, pairs in sets:
        for drop_titles in (False, True):
            xs, ys, untimed = featured_pairs(reports, pairs, make_deduper(), normalizer, drop_titles)
            made, reposts = featured_pairs.templates_made, featured_pairs.reposts_made
            if log:
                log.write(f"{name}{' (no titles)' if drop_titles else ''}: {len(ys) - made - reposts} labelled "
                          f"pairs, {sum(ys) - reposts} DUP, {made} template pairs (NOT) and {reposts} reposts (DUP)"
                          f"{', times synthetic: time features not fitted' if untimed else ''}\n")
            if ys:
                blocks.append((np.array([[f[k] for k in FEATURES] for f in xs]), np.array(ys, dtype=float), untimed,
                               np.array(featured_pairs.made_up, dtype=bool)))
    for feature in TIME_FEATURES:
        column = FEATURES.index(feature)
        timed = [x[:, column] for x, _, untimed, _ in blocks if not untimed]
        mean = float(np.mean(np.concatenate(timed))) if timed else 0.0
        for x, _, untimed, _ in blocks:
            if untimed:
                x[:, column] = mean
    x = np.vstack([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    # Every corpus (and its title-less reading) weighs the same: len(blocks) units of weight in all.
    w = np.concatenate([np.full(len(b[1]), len(y) / (len(blocks) * len(b[1]))) for b in blocks])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    # Sign constraints (dedupe.model.SIGNS) as bounds: a coefficient may reach 0 but never the sign against its
    # meaning. Collinear features (text similarities) then share the weight instead of cancelling each other.
    bounds = [(0.0, None) if SIGNS.get(f, 0) > 0 else (None, 0.0) if SIGNS.get(f, 0) < 0 else (None, None)
              for f in FEATURES]
    keep = set(FITTED if features is None else features)
    bounds = [b if f in keep else (0.0, 0.0) for b, f in zip(bounds, FEATURES)]
    intercept, full = bounded_logistic((x - mean) / scale, y, w, bounds)
    raw = full / scale
    intercept = float(intercept - np.sum(raw * mean))
    p = 1.0 / (1.0 + np.exp(-(x @ raw + intercept)))
    # The threshold is chosen on the labelled pairs alone: the made-up ones are easy by construction.
    real = ~np.concatenate([b[3] for b in blocks])
    threshold = best_f1_threshold(p[real], y[real], w[real])
    names = ", ".join(name for name, _, _ in sets)
    return Model(intercept, {k: float(v) for k, v in zip(FEATURES, raw)}, threshold, 0.0, names)


def run_fit(corpora: list[str], pairs: list[str], out: str | None, profile: Mapping[str, Any] | None) -> int:
    """CLI body of `dedupe fit`: the n-th pairs file goes with the n-th corpus; the rest are truth corpora."""
    from dedupe.fitted import FittedDeduper as Deduper
    from normalizer.normalize import Normalizer

    sets = []
    for i, corpus in enumerate(corpora):
        sets.append((corpus.rsplit("/", 1)[-1], read_reports(corpus), read_reports(pairs[i]) if i < len(pairs)
                     else None))
    # Features do not depend on any model: a blank one keeps a stale shipped model out of the way.
    model = fit(sets, lambda: Deduper(profile, model=Model()), Normalizer(profile), log=sys.stderr)
    text = ("# Fitted by `python -m gateway dedupe fit` on: " + model.fitted_on + "\n" + model.to_toml())
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0
