"""`bench.forecast_suite` on one series at the smoke preset: the report's
coverage is that of the intervals the test block's `forecasts.json` holds,
and those intervals never read a target after their origin."""

import json
import os

import numpy as np

from bench import forecast_suite
from pipeline.tasks.forecast import intervals


def test_one_series_report_and_online_intervals(tmp_path):
    work, report = tmp_path / "runs", tmp_path / "forecast.md"
    assert forecast_suite.main(["--preset", "smoke", "--series", "nile",
                                "--work-dir", str(work), "--report", str(report)]) == 0
    with open(work / "nile" / "forecasts.json", encoding="utf-8") as handle:
        test = json.load(handle)
    errors = np.abs(np.subtract(test["targets"], test["forecasts"]["network"]))  # [30, H]
    widths = np.asarray(test["half_widths"])
    assert widths.shape == errors.shape and np.all(widths > 0)
    text = report.read_text(encoding="utf-8")
    assert f"**{np.mean(errors <= widths):.3f}**" in text.split("Pooled coverage")[1]
    assert "| nile | yearly | 3 | 1 |" in text and "of final / statistical" in text
    # The first test origin's half-widths are the validation quantiles times
    # its window's scale: no test error is known yet.
    with open(work / "nile" / "metrics.json", encoding="utf-8") as handle:
        metrics = json.load(handle)
    series = np.load(os.path.join(work, "nile", "data", "series.npy"))
    first = test["origins"][0]
    scale = intervals.window_scales([series[first - metrics["window"]:first]])[0]
    np.testing.assert_allclose(widths[0], scale * np.asarray(metrics["interval_quantiles"]),
                               rtol=1e-3)


def test_select_takes_the_mean_with_the_lowest_validation_mase():
    """Truth 0, scale 1; the peers err by -4 (A), -3 (B), +10 (C), +20 (D),
    so B ranks first, then A. A network erring by +4: the means with [],
    [B], [B, A], [B, A, C] err by 4, 0.5, 1 and 1.75, so [B].
    By +7: 7, 2, 0, 2.5, so [B, A]. An exact network stays alone."""
    def block(network, peers):
        n = 2
        return {"targets": np.zeros((n, 1)).tolist(), "scales": [1.0] * n,
                "forecasts": {"network": [[network]] * n,
                              **{name: [[e]] * n for name, e in peers.items()}}}

    peers = {"A": -4.0, "B": -3.0, "C": 10.0, "D": 20.0}
    assert forecast_suite.ranked_peers(block(4.0, peers)) == ["B", "A", "C", "D"]
    assert forecast_suite.select(block(4.0, peers)) == ["B"]  # mean 0.5
    assert forecast_suite.select(block(7.0, peers)) == ["B", "A"]  # 7, 2, 0, 2.5
    assert forecast_suite.select(block(0.0, peers)) == []  # the network is exact
    assert forecast_suite.select(block(3.0, {"A": -3.0, "B": 3.0})) == ["A"]  # 0 for [A]
    np.testing.assert_allclose(forecast_suite.final_forecasts(["B", "A"], block(7.0, peers)),
                               [[0.0], [0.0]])
    # The peers alone: [B], [B, A], [B, A, C] err by 3, 3.5 and 1, so [B, A, C];
    # never the empty mean, whatever the network.
    assert forecast_suite.select(block(0.0, peers), network=False) == ["B", "A", "C"]
    assert forecast_suite.select(block(0.0, {"A": -1.0, "B": 5.0}), network=False) == ["A"]
