"""benchmarks/suite.py on tiny settings: the records say what the issue asks of them (zoo and
reference side by side, ratio = zoo / reference), zoo.train's epochs do not retrace, and the
results file is a plain list of records."""

import json

import numpy as np
import pytest

from benchmarks import __main__ as bench_main
from benchmarks import suite

KEYS = {"name", "unit", "zoo", "reference", "ratio", "machine"}


def test_case_arrays_match_each_family():
    x, y = suite._case_arrays(suite.FAMILY_CASES["rnn"], 8)
    assert x.dtype == np.int32 and x.shape == (8, 64) and 1 <= x.min() and x.max() < 99
    x, y = suite._case_arrays(suite.FAMILY_CASES["autoencoder"], 8)
    assert x.shape == (8, 28, 28, 1) and 0 <= x.min() and x.max() <= 1  # sigmoid targets
    x, y = suite._case_arrays(suite.FAMILY_CASES["cnn"], 8)
    assert x.min() < 0 < x.max() and set(y) <= set(range(10))  # random, not zeros


def test_every_family_of_the_registry_has_a_case():
    from zoo import registry

    families = {registry.get(case[0]).family for case in suite.FAMILY_CASES.values()}
    assert families == {registry.get(n).family for n in registry.list_models()}


@pytest.mark.parametrize("family", ["mlp", "autoencoder", "gan"])
def test_overhead_times_zoo_train_against_model_fit_without_retracing(family):
    (record,) = suite.overhead(steps=3, repeats=1, families=[family])
    assert record.name == f"overhead/{family}" and record.unit == "steps/s"
    assert record.zoo > 0 and record.reference > 0
    assert record.ratio == pytest.approx(record.zoo / record.reference)
    assert record.extra["retraces_after_first_epoch"]["zoo"] == 0


def test_generation_compares_cached_and_uncached_tokens():
    (record,) = suite.generation(steps=6, repeats=1, d_model=16, num_layers=1, num_heads=2)
    assert record.extra["same_tokens"] is True
    assert record.ratio == pytest.approx(record.zoo / record.reference)


def test_results_file_is_a_list_of_records_and_a_partial_run_keeps_the_others(tmp_path, capsys):
    from benchmarks.harness import machine_name

    path = tmp_path / f"{machine_name()}.json"
    earlier = {"name": "startup/zoo list", "unit": "s", "zoo": 0.3, "reference": None,
               "ratio": None, "machine": machine_name(), "note": "", "extra": {},
               "versions": {}}
    stale = {**earlier, "name": "generation/gpt_kv_cache", "zoo": -1.0}
    path.write_text(json.dumps([earlier, stale]))
    assert bench_main.main(["--only", "generation", "--quick", "--out", str(tmp_path)]) == 0
    records = json.loads(path.read_text())
    assert isinstance(records, list) and [r["name"] for r in records] == [
        "startup/zoo list", "generation/gpt_kv_cache"]
    assert records[0] == earlier and records[1]["zoo"] > 0  # rerun in place, the rest kept
    records = records[1:]
    assert KEYS <= set(records[0]) and "keras" in records[0]["versions"]
    assert "generation/gpt_kv_cache" in capsys.readouterr().out
    assert "| generation/gpt_kv_cache | tokens/s |" in path.with_suffix(".md").read_text()


def test_a_quick_run_never_replaces_measured_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_main, "RESULTS", tmp_path / "results")
    assert bench_main.main(["--only", "startup", "--quick"]) == 0
    assert "results not written" in capsys.readouterr().out
    assert not (tmp_path / "results").exists()
