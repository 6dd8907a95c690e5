"""The forecast task's scores: rolling-origin evaluation. Every origin of
the test block is forecast by the model and by the statistical peers
(`models.classical.peers`, refitted at every origin on exactly the history
before it), scored per origin and pooled (`scores`) in the series' own
units, with conformal intervals (`intervals`)."""

import os
import re

import numpy as np
import tensorflow as tf

from pipeline.core import atomic, evaluation
from pipeline.core.errors import UsageError
from pipeline.tasks.forecast import data as series_data
from pipeline.tasks.forecast import intervals, refit, scores, settings
from pipeline.tasks.forecast.config import PEER_NAMES
from pipeline.tasks.forecast.plots import plot_error_by_step, plot_forecasts
from pipeline.tasks.forecast.server import load_served, load_trained


def fit_baseline(train, s):
    """The ARIMA `Baseline` of the run's settings `s`, fitted on `train`; a
    combination it refuses is a UsageError naming its `--set baseline.*` flag."""
    from models.classical.arima import Baseline

    try:
        return Baseline(train, s["order"], s["seasonal_order"], s["trend"], period=s["period"],
                        harmonics=s["harmonics"])
    except ValueError as error:  # "<reason>. Received: <key>=<value>"
        raise flag_error(error, "baseline") from None


def flag_error(error, section):
    """The UsageError naming `--set <section>.<key>` of a ValueError whose
    message ends `Received: <key>=<value>` (re-raised as it is otherwise)."""
    found = re.fullmatch(r"(.*)\. Received: (\w+)=(.*)", str(error), re.DOTALL)
    if not found:
        raise error
    reason, key, value = found.groups()
    return UsageError(f"--set {section}.{key}={value}: {reason}")


def evaluate(config, run_dir, split="test"):
    """Forecasts from every origin of the test block (or that of `split`)
    with the model and every peer of `evaluate.peers`
    (`models.classical.peers`, each refitted at every origin on the history
    before it), writes `metrics.json` and `plots/` (`pipeline.core.evaluation.output_dir`),
    and returns the metrics.

    The model of the validation block is the one the train stage fitted on
    the training segment; that of the test block, with `evaluate.refit=block`
    (the default), the same recipe refitted once on the training and
    validation segments (`refit`), else the train stage's too. At each
    origin the model reads the `window` values before it.

    Metrics (`scores`), in the series' units: `rmse`, `mae` and `mase` of the
    model pooled over the origins, by step and `per_origin`; `peers` the
    same for each peer and `ratios` the model's over each peer's;
    `rmse_ratio` and `mae_ratio` against the ARIMA baseline (`baseline_*`);
    `interval_level` and `coverage` of the conformal intervals
    (`intervals`: scaled to each origin's window and calibrated on the
    validation origins, plus, on the test block, its earlier origins whose
    targets are observed; `interval_quantiles`, the validation scores'
    quantiles the export serves). Every method's
    forecasts, the targets and the MASE scales go to `forecasts.json`
    beside `metrics.json` (what `bench.forecast_suite` combines).
    """
    from models.classical.peers import peer_forecasts

    trained, series, prepared = load_trained(run_dir)
    refitting = split == "test" and config["evaluate"]["refit"] == "block"
    server = load_served(run_dir, config, (trained, series, prepared))[0] if refitting \
        else trained
    window, horizon = server.window, server.model.horizon
    s = settings.settings(config, prepared)
    histories, targets, origins = series_data.split_windows(series, prepared, split, window,
                                                            horizon)
    predicted = server(histories).numpy().astype("float64")  # [N, H]
    names = parse_peers(config["evaluate"]["peers"])
    try:
        peer_values, info = peer_forecasts(names, series, origins, horizon, s["season"], s,
                                           trend="ct" if s["level"] == "last" else "c")
    except ValueError as error:  # "<reason>. Received: <key>=<value>"
        raise flag_error(error, "baseline") from None
    scales = scores.origin_scales(series, origins, s["season"])
    model = scores.scores(predicted, targets, scales)
    peers = {name: scores.scores(values, targets, scales) for name, values in peer_values.items()}
    level = config["evaluate"]["interval_level"]
    widths, quantiles = interval_half_widths(trained, series, prepared, histories, predicted,
                                             targets, origins, split, level)
    naive = np.repeat(histories[:, -1:], horizon, axis=1)
    metrics = {
        "rmse": model["rmse"], "mae": model["mae"], "mase": model["mase"],
        "naive_rmse": scores.scores(naive, targets, scales)["rmse"],
        "windows": int(len(targets)), "origins": [int(origins[0]), int(origins[-1])],
        "stride": series_data.STRIDE, "window": int(window), "horizon": int(horizon),
        "season": int(s["season"]), "series": prepared["source"], "split": split,
        "rmse_by_step": model["rmse_by_step"], "mase_by_step": model["mase_by_step"],
        "per_origin": model["per_origin"], "peers": peers, "peer_info": info,
        "ratios": scores.ratios(model, peers),
        "interval_level": level, "interval_quantiles": quantiles.round(4).tolist(),
        "interval_mean_half_widths": widths.mean(axis=0).round(4).tolist(),
        "coverage": intervals.coverage(predicted, widths, targets),
        "refit": refit.tag(run_dir) if refitting else None,
    }
    if "ARIMA" in peers:
        base = peers["ARIMA"]
        metrics.update(baseline_rmse=base["rmse"], baseline_mae=base["mae"],
                       rmse_ratio=model["rmse"] / base["rmse"],
                       mae_ratio=model["mae"] / base["mae"],
                       baseline_rmse_by_step=base["rmse_by_step"],
                       baseline={"model": arima_name(s)})
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    atomic.write_json(os.path.join(evaluation.output_dir(run_dir, split), "forecasts.json"),
                      {"origins": origins.tolist(), "targets": targets.tolist(),
                       "scales": scales.tolist(), "half_widths": widths.tolist(),
                       "forecasts": {"network": predicted.tolist(),
                                     **{name: v.tolist() for name, v in peer_values.items()}}})
    plots_dir = evaluation.plots_dir(run_dir, split)
    plot_forecasts(series, origins, predicted, widths, peer_values, metrics,
                   os.path.join(plots_dir, "forecast.png"))
    plot_error_by_step(metrics, os.path.join(plots_dir, "error_by_step.png"))
    return metrics


def interval_half_widths(server, series, prepared, histories, predicted, targets, origins,
                         split, level):
    """`(half-widths [N, H], quantiles [H])` of the intervals at a block's
    origins (`intervals`): the validation block's from its own scores, any
    later block's calibrated online. `server` is the train stage's network,
    whose validation forecasts calibrate (it has not seen their targets)."""
    scales = intervals.window_scales(histories, intervals.scale_floor(prepared))
    block = (predicted - targets, scales, origins)
    calibration = block if split == "validation" else intervals.calibration_set(
        server, series, prepared)  # the validation block's forecasts are already made
    quantiles = intervals.scaled_quantiles(*calibration[:2], level)
    if split == "validation":
        return scales[:, None] * quantiles, quantiles
    return intervals.online_half_widths(calibration, block, level), quantiles


def parse_peers(text):
    """`evaluate.peers` as a tuple of names, each checked."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in PEER_NAMES]
    if unknown:
        raise UsageError(f"--set evaluate.peers={text}: unknown peer {unknown[0]}; use "
                         + ", ".join(PEER_NAMES))
    return names


def arima_name(s):
    from models.classical.arima import describe

    return describe(s["order"], s["seasonal_order"], s["trend"], s["period"], s["harmonics"])


def inference_batch(run_dir, count=256):
    """`(infer, count)`: a function forecasting `count` histories (the test
    windows, repeated), for `pipeline.compare`'s inference timing."""
    server, series, prepared = load_trained(run_dir)
    histories, _, _ = series_data.split_windows(series, prepared, "test", server.window,
                                                server.model.horizon)
    rows = tf.constant(np.resize(histories, (count, server.window)), tf.float32)
    return (lambda: server(rows)), count
