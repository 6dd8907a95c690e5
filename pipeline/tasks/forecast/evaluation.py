"""The forecast task's scores: every test window forecast by the model and
by the ARIMA baseline (`models.classical.arima`, fitted on the training
segment in the same evaluate call, forecasting from exactly the same
origins with exactly the same history), in the series' own units."""

import os
import re

import numpy as np
import tensorflow as tf

from pipeline.core import atomic, evaluation
from pipeline.core.errors import UsageError
from pipeline.tasks.forecast import data as series_data
from pipeline.tasks.forecast import settings
from pipeline.tasks.forecast.plots import plot_forecasts
from pipeline.tasks.forecast.server import load_trained


def errors(forecasts, targets):
    """RMSE and MAE over every forecast value, and the RMSE of each step."""
    e = np.asarray(forecasts, "float64") - np.asarray(targets, "float64")
    return {"rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(np.abs(e))),
            "rmse_by_step": np.sqrt(np.mean(e**2, axis=0)).round(4).tolist()}


def fit_baseline(train, s):
    """The ARIMA `Baseline` of the run's settings `s`, fitted on `train`; a
    combination it refuses is a UsageError naming its `--set baseline.*` flag."""
    from models.classical.arima import Baseline

    try:
        return Baseline(train, s["order"], s["seasonal_order"], s["trend"], period=s["period"],
                        harmonics=s["harmonics"])
    except ValueError as error:  # "<reason>. Received: <key>=<value>"
        found = re.fullmatch(r"(.*)\. Received: (\w+)=(.*)", str(error), re.DOTALL)
        if not found:
            raise
        reason, key, value = found.groups()
        raise UsageError(f"--set baseline.{key}={value}: {reason}") from None


def evaluate(config, run_dir, split="test"):
    """Forecasts the test windows (or those of `split`) with the model and
    the ARIMA baseline (fitted here, on the training segment), writes
    `metrics.json` and `plots/forecast.png` (`pipeline.core.evaluation.output_dir`),
    and returns the metrics.

    Metrics, in the series' units over all test windows and steps: `rmse`,
    `mae`, the baseline's `baseline_rmse` and `baseline_mae`, `rmse_ratio`
    and `mae_ratio` (model / baseline: below 1 the model wins), and the
    persistence forecast's `naive_rmse` (the last value repeated).
    """
    server, series, prepared = load_trained(run_dir)
    window, horizon = server.window, server.model.horizon
    s = settings.settings(config, prepared)
    histories, targets, origins = series_data.split_windows(series, prepared, split, window,
                                                            horizon)
    predicted = server(histories).numpy().astype("float64")  # [N, H]
    _, stop = prepared["bounds"]["train"]  # the training segment starts at 0
    arima = fit_baseline(series[:stop], s)
    baseline = arima.forecasts(series, origins, horizon)  # [N, H], the same origins
    model_errors, base_errors = errors(predicted, targets), errors(baseline, targets)
    naive = np.repeat(histories[:, -1:], horizon, axis=1)
    metrics = {
        "rmse": model_errors["rmse"], "mae": model_errors["mae"],
        "baseline_rmse": base_errors["rmse"], "baseline_mae": base_errors["mae"],
        "rmse_ratio": model_errors["rmse"] / base_errors["rmse"],
        "mae_ratio": model_errors["mae"] / base_errors["mae"],
        "naive_rmse": errors(naive, targets)["rmse"],
        "windows": int(len(targets)), "window": int(window), "horizon": int(horizon),
        "series": prepared["source"],
        "rmse_by_step": model_errors["rmse_by_step"],
        "baseline_rmse_by_step": base_errors["rmse_by_step"],
        "baseline": arima.info, "split": split,
    }
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plot_forecasts(series, origins, predicted, baseline, metrics,
                   os.path.join(evaluation.plots_dir(run_dir, split), "forecast.png"))
    return metrics


def inference_batch(run_dir, count=256):
    """`(infer, count)`: a function forecasting `count` histories (the test
    windows, repeated), for `pipeline.compare`'s inference timing."""
    server, series, prepared = load_trained(run_dir)
    histories, _, _ = series_data.split_windows(series, prepared, "test", server.window,
                                                server.model.horizon)
    rows = tf.constant(np.resize(histories, (count, server.window)), tf.float32)
    return (lambda: server(rows)), count
