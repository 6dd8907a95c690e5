"""The forecast task's serving graph and export: raw history in, raw
forecast out (docs/architecture.md section 5)."""

import json
import os

import tensorflow as tf

from pipeline.core import export as export_lib
from pipeline.core import training
from pipeline.core.errors import UsageError
from pipeline.tasks.forecast import data as series_data
from pipeline.tasks.forecast import intervals
from pipeline.tasks.forecast.refit import refitted
from pipeline.tasks.forecast.refit import tag as refit_tag


class ForecastServer(tf.Module):
    """Raw history in, raw forecast out: the normaliser and the model in one
    graph, what the export serves (docs/architecture.md section 5).

    The last `window` values of each history are used (the length the model
    was trained on); a shorter history is an error.

    Args:
        model: a trained `Forecaster`.
        mean, std: the normaliser of the training segment.
        window: the history length the model was trained on.
        quantiles: `[H]` conformal quantiles of the scaled errors
            (`intervals.scaled_quantiles`): an interval's half-width is
            the quantile times the mean absolute change over the window
            (`intervals.window_scales`); None: zero-width intervals.
    """

    def __init__(self, model, mean, std, window, quantiles=None):
        super().__init__()
        self.model = model
        self.window = int(window)
        self.mean = tf.constant(mean, tf.float32)
        self.std = tf.constant(std, tf.float32)
        self.quantiles = tf.constant(0.0 if quantiles is None else list(quantiles),
                                     tf.float32)  # [H], or a scalar 0
        self.scale_floor = tf.constant(intervals.SCALE_FLOOR * std, tf.float32)

    def __call__(self, history):
        """`[B, H]` float32 forecasts of raw histories `[B, T]`, T >= window."""
        history = tf.convert_to_tensor(history, tf.float32)
        tf.debugging.assert_greater_equal(
            tf.shape(history)[1], self.window,
            message=f"history needs at least {self.window} values")
        recent = history[:, -self.window:]  # [B, W]
        scaled = (recent - self.mean) / self.std
        forecast = self.model(scaled[..., None], training=False)  # [B, H]
        return tf.cast(forecast, tf.float32) * self.std + self.mean

    def with_intervals(self, history):
        """`{"forecast", "lower", "upper"}`, each float32 `[B, H]`."""
        forecast = self(history)
        recent = tf.convert_to_tensor(history, tf.float32)[:, -self.window:]  # [B, W]
        scale = tf.maximum(tf.reduce_mean(tf.abs(recent[:, 1:] - recent[:, :-1]), axis=1),
                           self.scale_floor)  # [B]
        half_widths = scale[:, None] * self.quantiles  # [B, H]
        return {"forecast": forecast, "lower": forecast - half_widths,
                "upper": forecast + half_widths}


def trained_window(run_dir):
    """The history length a run trained with (its `config.json`)."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        raise UsageError(f"--run-dir {run_dir}: no trained run (config.json); "
                         "run the train stage first")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["data"]["window"]


def load_trained(run_dir):
    """`(ForecastServer, series, prepared)` of a trained run."""
    import models.forecaster  # noqa: F401  (registers Forecaster)

    model = training.load_trained(run_dir)
    series, prepared = series_data.load_prepared(run_dir)
    n = prepared["normalizer"]
    return ForecastServer(model, n["mean"], n["std"], trained_window(run_dir)), series, prepared


def load_served(run_dir, config, loaded=None):
    """`(ForecastServer, series, prepared)` of the network a run serves:
    with `evaluate.refit=block` the one refitted on the training and
    validation segments (`refit`, fitted now unless evaluate did), else
    the train stage's. `loaded`: what `load_trained` already returned."""
    server, series, prepared = loaded or load_trained(run_dir)
    if config["evaluate"]["refit"] == "block":
        n = prepared["normalizer"]
        server = ForecastServer(refitted(config, run_dir), n["mean"], n["std"],
                                server.window)
    return server, series, prepared


def serving_endpoint(server):
    """The `serving_default` function: `history [B, T]` ->
    `{"forecast", "lower", "upper"}`."""

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="history")])
    def serve(history):
        return server.with_intervals(history)

    return serve


def export(config, run_dir, directory):
    """Writes the SavedModel of the network a run serves (`load_served`)
    into `directory`, with prediction intervals at nominal
    `evaluate.interval_level` calibrated on the validation origins by the
    train stage's network (`intervals.scaled_quantiles`); returns the
    metadata dict."""
    level = config["evaluate"]["interval_level"]
    trained, series, prepared = load_trained(run_dir)
    quantiles = intervals.scaled_quantiles(
        *intervals.calibration_set(trained, series, prepared)[:2], level)
    served = load_served(run_dir, config, (trained, series, prepared))[0]
    n = prepared["normalizer"]
    server = ForecastServer(served.model, n["mean"], n["std"], served.window, quantiles)
    window = server.window
    export_lib.write_archive(directory, [server.model],
                             {"serving_default": serving_endpoint(server)})
    horizon = server.model.horizon
    return {"model": server.model.get_config(), "window": window, "horizon": horizon,
            "normalizer": prepared["normalizer"], "series": prepared["source"],
            "inputs": {"history": f"float32 [B, T], raw values oldest first, T >= {window}"},
            "outputs": {"forecast": f"float32 [B, {horizon}], the next {horizon} values",
                        "lower": f"float32 [B, {horizon}], the lower bounds of the {level:.0%} "
                                 "conformal intervals: forecast - quantile x the mean "
                                 "absolute change over the window",
                        "upper": f"float32 [B, {horizon}], their upper bounds"},
            "interval_level": level, "interval_quantiles": quantiles.round(4).tolist(),
            "refit": refit_tag(run_dir) if config["evaluate"]["refit"] == "block" else None}


def show_export(path, run_dir):
    """Prints the export's forecasts from the first and last test origins,
    read back from the SavedModel as a TF Serving client gets them."""
    series, prepared = series_data.load_prepared(run_dir)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    horizon = int(serve.structured_outputs["forecast"].shape[1])
    histories, targets, origins = series_data.split_windows(series, prepared, "test",
                                                            trained_window(run_dir), horizon)
    answers = serve(history=tf.constant(histories, tf.float32))["forecast"].numpy()
    print("answers of the export (test origins):")
    for i in sorted({0, len(origins) - 1}):
        print(f"  origin {origins[i]}: forecast {' '.join(f'{v:.2f}' for v in answers[i])}")
        print(f"  {' ' * len(str(origins[i]))}         truth    "
              f"{' '.join(f'{v:.2f}' for v in targets[i])}")
