"""`bench.forecast_backtest`: folds that never read past their block, and
least-squares references that are exact where they should be."""

import json

import numpy as np
import pytest

from bench import forecast_backtest


def damped_cycle(length):
    """A noise-free AR(2) series around a level: x_t = 10 + 1.6 (x_{t-1} - 10)
    - 0.8 (x_{t-2} - 10), started away from the level."""
    x = np.zeros(length)
    x[:2] = [15.0, 12.0]
    for t in range(2, length):
        x[t] = 10 + 1.6 * (x[t - 1] - 10) - 0.8 * (x[t - 2] - 10)
    return x


def test_fold_moves_the_splits_back_and_refits_the_normaliser():
    series = np.arange(100, dtype="float64")
    prepared = forecast_backtest.fold_prepared({"source": "x"}, series, block_start=60,
                                               length=10)
    assert prepared["bounds"] == {"train": [0, 50], "validation": [50, 60], "test": [60, 70]}
    assert prepared["normalizer"]["mean"] == pytest.approx(series[:50].mean())
    assert prepared["normalizer"]["std"] == pytest.approx(series[:50].std())
    assert prepared["source"] == "x"


def references_and_targets(lags):
    """The references' forecasts of the last block of `damped_cycle(120)`
    (window 6, horizon 3, block [100, 110)) and the true values."""
    series = damped_cycle(120)
    prepared = forecast_backtest.fold_prepared({"source": "x"}, series, 100, 10)
    out = forecast_backtest.references(series, prepared, window=6, horizon=3, lags=lags,
                                       gamma=0.05, ridge=10.0)
    return out, np.stack([series[o:o + 3] for o in range(100, 108)])


def test_references_are_exact_on_a_linear_series():
    # Every h-step-ahead value of an AR(2) is linear in its last two values,
    # so the direct regressions fit exactly and leave the kernel nothing,
    # and either regime of the threshold model is the AR(2) itself.
    out, targets = references_and_targets(lags=2)
    for name in ("direct linear", "+ kernel ridge", "SETAR"):
        assert out[name].shape == (8, 3)
        np.testing.assert_allclose(out[name], targets, atol=1e-6)


def test_references_use_the_lags_they_are_given():
    # One lag cannot express an AR(2): the direct linear reference misses.
    out, targets = references_and_targets(lags=1)
    assert np.abs(out["direct linear"] - targets).max() > 1e-3


def test_smoke_backtest_scores_each_block_without_reading_past_it(tmp_path, capsys):
    work = tmp_path / "bt"
    assert forecast_backtest.main(["--preset", "smoke", "--blocks", "2",
                                   "--work-dir", str(work)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["blocks"] == [241, 207]  # the validation block, then 34 years back
    assert summary["rmse_ratio"]["baseline"] == 1.0
    assert set(summary["rmse_ratio"]) == {"network", "baseline", "direct linear",
                                          "+ kernel ridge", "SETAR"}
    for k, start in enumerate(summary["blocks"]):
        fold = work / f"block_{k}"
        with open(fold / "data" / "prepared.json", encoding="utf-8") as handle:
            assert json.load(handle)["bounds"]["test"] == [start, start + 34]
        assert len(np.load(fold / "data" / "series.npy")) == start + 34
        with open(fold / "metrics.json", encoding="utf-8") as handle:
            metrics = json.load(handle)
        assert metrics["windows"] == 30 and metrics["origins"] == [start, start + 29]


def test_non_empty_work_dir_is_refused(tmp_path):
    (tmp_path / "old").mkdir()
    with pytest.raises(SystemExit) as error:
        forecast_backtest.main(["--work-dir", str(tmp_path)])
    assert error.value.code == 2
