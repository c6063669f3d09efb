"""`dedupe fit` writes a model a profile can load; the IDF prior; synthetic times fit no time feature."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest

from dedupe import FittedDeduper as Deduper
from dedupe.cluster import evaluate
from dedupe.fit import synthetic_times
from dedupe.idf import DocumentFrequencies, jieba_prior, prior_counts
from dedupe.model import FEATURES, Model, load_model
from gateway.cli import main
from normalizer.normalize import Normalizer
from tests.dedupe.test_incidents import LIFT, PLACES, PROBLEMS, T0, TEMPLATE

pytest.importorskip("numpy")


def _corpus(tmp_path):
    rows, n = [], 0
    for ch, title, text in LIFT:
        rows.append({"text": text, "title": title, "channel": ch, "truth": "lift"})
    for p in PLACES:
        rows.append({"title": TEMPLATE[0].format(p=p), "text": TEMPLATE[1].format(p=p), "truth": f"neg-{p}"})
    for i, (title, text) in enumerate(PROBLEMS[1:]):
        rows.append({"title": title, "text": text, "truth": f"neg-problem-{i}"})
    for row in rows:
        n += 1
        row.update(id=f"x{n}", received_at=(T0 + timedelta(hours=n, minutes=n * n)).isoformat())
    path = tmp_path / "truth.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_fit_writes_a_model_that_a_profile_loads(tmp_path, capsys):
    corpus, out = _corpus(tmp_path), tmp_path / "model.toml"
    assert main(["dedupe", "fit", "--corpus", str(corpus), "--truth", "--out", str(out)]) == 0
    model = Model.from_file(out)
    assert set(model.coefficients) == set(FEATURES) and 0.2 <= model.threshold <= 0.95
    assert any(model.coefficients.values())
    assert load_model({"dedupe": {"model_file": str(out)}}) == model
    # Fitted on this corpus, the engine keeps its templates and problems apart and joins most lift reports.
    result = evaluate(str(corpus), None, Deduper({}, model=model), Normalizer({}), baseline=False)
    assert result["precision"] == 1.0 and result["recall"] > 0.5, result
    log = capsys.readouterr().err
    assert "truth.jsonl: 276 labelled pairs, 45 DUP, 14 template pairs (NOT) and 24 reposts (DUP)" in log
    assert "synthetic" not in log


def test_fit_to_standard_output_and_a_clear_error_without_corpora(tmp_path, capsys):
    assert main(["dedupe", "fit", "--corpus", str(_corpus(tmp_path)), "--truth"]) == 0
    assert capsys.readouterr().out.startswith("# Fitted by `python -m gateway dedupe fit` on: truth.jsonl")
    with pytest.raises(SystemExit):
        main(["dedupe", "fit"])


def test_evenly_spaced_times_are_synthetic():
    start = datetime(2020, 1, 1)
    assert synthetic_times([start + timedelta(minutes=10 * i) for i in range(5)])
    assert not synthetic_times([start, start + timedelta(minutes=3), start + timedelta(hours=5)])


def test_the_prior_says_common_words_are_common_and_the_corpus_takes_over():
    prior, chars = jieba_prior()
    df = DocumentFrequencies(prior_counts(prior, 2000), 2000, batch=1, chars={c: f * 2000 ** 0.5 for c, f in
                                                                               chars.items()})
    assert df.weight("问题") < df.weight("电梯") < df.weight("榆溪")
    assert df.weight("又在") < df.weight("榆溪")  # a bigram across two words: estimated from its characters
    before = df.weight("榆溪")
    for _ in range(50):
        df.observe(["榆溪"])
    assert df.weight("榆溪") < before - 1


def test_shipped_model_names_every_feature():
    model = Model.default()
    assert set(model.coefficients) == set(FEATURES) and model.fitted_on
    assert io.StringIO(model.to_toml()).getvalue().startswith("[dedupe.model]")
