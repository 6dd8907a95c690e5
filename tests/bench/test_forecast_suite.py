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
    assert "| nile | yearly | 3 | 1 |" in text
    # The first test origin's half-widths are the validation quantiles times
    # its window's scale: no test error is known yet.
    with open(work / "nile" / "metrics.json", encoding="utf-8") as handle:
        metrics = json.load(handle)
    series = np.load(os.path.join(work, "nile", "data", "series.npy"))
    first = test["origins"][0]
    scale = intervals.window_scales([series[first - metrics["window"]:first]])[0]
    np.testing.assert_allclose(widths[0], scale * np.asarray(metrics["interval_quantiles"]),
                               rtol=1e-3)
