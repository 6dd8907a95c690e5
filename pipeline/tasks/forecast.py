"""The forecast task: windows of history to an H-step forecast (direct
multi-step), scored against an ARIMA baseline fitted in the same run.

Data: the prepared series (`<run-dir>/data/series.npy`) split by position
(DESIGN section 3: the last 5% test, the 5% before it validation), scaled
by the normaliser prepare fitted on the training segment. A window of
`data.window` values ending just before an origin `o` is the input; the
targets are `y[o], ..., y[o+H-1]`, all inside one split (the history may
reach back into earlier splits, the targets never cross into later ones:
`pipeline.inputs.forecast.windows`).

The model (`models.forecaster.Forecaster`) works in normalised units;
`ForecastServer` scales raw values in and out inside the graph, so the
export takes raw numbers and answers in the series' own units.

Evaluation forecasts every test window with the model and with
`pipeline.arima_baseline` (fitted on the training segment in the same
evaluate call, forecasting from exactly the same origins with exactly the
same history), and reports RMSE and MAE in the series' units, their ratios
to the baseline, and a PNG of the forecasts against the truth.
"""

import json
import os
import re

import keras
import numpy as np
import tensorflow as tf

from pipeline import arima_baseline
from pipeline.core import atomic, evaluation, registry, rundir, training
from pipeline.core import export as export_lib
from pipeline.core.errors import UsageError
from pipeline.core.schema import at_least, one_of
from pipeline.inputs import forecast as forecast_inputs

#: Defaults per series, used where the configuration says 0, -1 or "":
#: `window` and `horizon` in steps, the model's `linear_window` and
#: `level`, and the baseline. Sunspots are yearly (cycle about 11 years;
#: 309 values, 15 in each held-out split): 12 years of history (one cycle;
#: AIC picks 9 AR lags), a 5-year forecast (11 test windows), the AR(9)
#: baseline. CO2 is weekly (2284 values, 114 held out), trending, with a
#: yearly season of 52.18 weeks: two years of history, a 26-week forecast
#: (89 test windows), changes from the last value (the test values lie above
#: every training value), and ARIMA(1,1,1) with drift and 3 Fourier pairs of
#: the yearly period (a seasonal ARIMA of period 52 takes minutes to fit).
#: A user file gets generic values.
SERIES = {
    "sunspots": {"window": 12, "horizon": 5, "linear_window": 9, "level": "absolute",
                 "order": "9,0,0", "seasonal_order": "0,0,0,0", "trend": "c", "period": "0",
                 "harmonics": "0"},
    "co2": {"window": 104, "horizon": 26, "linear_window": 52, "level": "last",
            "order": "1,1,1", "seasonal_order": "0,0,0,0", "trend": "t",
            "period": str(365.25 / 7), "harmonics": "3"},
    "file": {"window": 24, "horizon": 6, "linear_window": 12, "level": "last",
             "order": "2,1,1", "seasonal_order": "0,0,0,0", "trend": "t", "period": "0",
             "harmonics": "0"},
}

DEFAULTS = {
    # prepare options (pipeline.prepare.OPTIONS): the embedded series, or
    # the value column of a --data CSV ("" = "value", else the last column)
    "forecast": {"series": "sunspots", "column": ""},
    # window and horizon in steps; 0 = the series' default (SERIES)
    "data": {"window": 0, "horizon": 0, "batch_size": 32, "seed": 0},
    # linear_window: inputs of a linear AR term added to the read-out (0 =
    # none, -1 = the series' default); level: "absolute" reads normalised
    # values, "last" forecasts changes from the last value ("" = the
    # series' default); members: independently trained forecasters averaged
    # (models.forecaster); linear_init: "least_squares" starts the linear
    # term from the closed-form direct regression and the network from zero
    # (`Forecaster.fit_linear`), "random" from Keras' initialisers
    "model": {"cell": "lstm", "units": 16, "layers": 1, "dropout": 0.3, "linear_window": -1,
              "level": "", "members": 1, "linear_init": "least_squares"},
    # schedule: "constant" or "cosine" (to zero over `epochs`; pipeline.core.training)
    "train": {"epochs": 300, "learning_rate": 1e-3, "schedule": "constant", "clipnorm": 1.0,
              "patience": 30, "seed": 0, "jit_compile": False, "strategy": "default",
              "ema": 0.0},
    # ARIMA (p,d,q), seasonal (P,D,Q,s), trend (n, c, t, ct) and Fourier
    # pairs of a period (pipeline.arima_baseline); "" = the series' default
    "baseline": {"order": "", "seasonal_order": "", "trend": "", "period": "",
                 "harmonics": ""},
}

#: Limits of the task's own keys, beside `pipeline.core.schema.COMMON`.
LIMITS = {
    "data.window": at_least(0), "data.horizon": at_least(0),  # 0: the series' default
    "model.linear_window": at_least(-1), "model.members": at_least(1),
    "model.level": one_of("", "absolute", "last"),
    "model.linear_init": one_of("least_squares", "random"),
}

PRESETS = {
    "smoke": {"model": {"units": 4}, "train": {"epochs": 2, "patience": 2}},
    "quick": {"train": {"epochs": 100, "patience": 20}},
    "full": {"model": {"members": 5}},
}

#: The models `pipeline.compare --task forecast` trains.
VARIANTS = {
    "lstm": {"model": {"cell": "lstm"}},
    "gru": {"model": {"cell": "gru"}},
    "elman": {"model": {"cell": "elman"}},
}

#: The metrics `pipeline.compare` tabulates, the first one charted.
COMPARE_METRICS = ("rmse_ratio", "rmse", "mae", "baseline_rmse")


# ------------------------------------------------------------ settings
def series_name(prepared):
    """`"sunspots"`, `"co2"` or `"file"`: which `SERIES` defaults apply."""
    source = prepared["source"]
    prefix = "statsmodels_series/"
    return source[len(prefix):] if source.startswith(prefix) else "file"


def settings(config, prepared):
    """Window, horizon, model level and linear window, and baseline of a
    run, the series' defaults filled in where the configuration leaves them
    0, -1 or ""."""
    defaults = SERIES.get(series_name(prepared), SERIES["file"])
    d, m, b = config["data"], config["model"], config["baseline"]
    out = {"window": d["window"] or defaults["window"],
           "horizon": d["horizon"] or defaults["horizon"],
           "linear_window": defaults["linear_window"] if m["linear_window"] == -1
           else m["linear_window"],
           "level": m["level"] or defaults["level"]}
    for key in ("window", "horizon"):
        if out[key] < 1:
            raise UsageError(f"--set data.{key}={out[key]}: must be a positive integer")
    check_linear_window(out["linear_window"], out["window"])
    return {**out, **baseline_settings({key: b[key] or defaults[key] for key in b})}


def baseline_settings(value):
    """The baseline's order, seasonal order, trend, period and harmonics
    from their `baseline.*` strings."""
    out = {"order": arima_baseline.parse_order(value["order"], 3, "baseline.order"),
           "seasonal_order": arima_baseline.parse_order(value["seasonal_order"], 4,
                                                        "baseline.seasonal_order")}
    if value["trend"] not in ("n", "c", "t", "ct"):
        raise UsageError(f"--set baseline.trend={value['trend']}: use n, c, t or ct")
    out["trend"] = value["trend"]
    for key, kind, name in (("period", float, "a number"), ("harmonics", int, "an integer")):
        try:
            out[key] = kind(value[key])
        except ValueError:
            raise UsageError(f"--set baseline.{key}={value[key]}: expected {name}") from None
    return out


def check_config(config):
    """What `settings` checks without the data (`cli.resolve` runs it
    before any work): the `baseline.*` values given, and the AR term against
    a `data.window` given. The rest waits for the series' defaults."""
    b, d, m = config["baseline"], config["data"], config["model"]
    baseline_settings({key: b[key] or SERIES["file"][key] for key in b})
    if d["window"] and m["linear_window"] != -1:
        check_linear_window(m["linear_window"], d["window"])


def check_linear_window(linear_window, window):
    if not 0 <= linear_window <= window:
        raise UsageError(f"--set model.linear_window={linear_window}: from 0 to "
                         f"data.window={window} (-1: the series' default)")


def resolved(config, prepared):
    """`config` with the series' defaults it resolves to written in (what
    `config.json` records)."""
    s = settings(config, prepared)
    return {**config,
            "data": {**config["data"], "window": s["window"], "horizon": s["horizon"]},
            "model": {**config["model"], "linear_window": s["linear_window"],
                      "level": s["level"]}}


# ---------------------------------------------------------------- data
def load_prepared(run_dir):
    """`(series float64 [N], prepared dict)` written by the prepare stage."""
    data_dir = os.path.join(run_dir, "data")
    with open(os.path.join(data_dir, "prepared.json"), encoding="utf-8") as handle:
        prepared = json.load(handle)
    return np.load(os.path.join(data_dir, "series.npy")), prepared


def normalise(values, prepared):
    n = prepared["normalizer"]
    return (np.asarray(values, "float64") - n["mean"]) / n["std"]


def split_windows(series, prepared, split, window, horizon):
    """`(histories [N, window], targets [N, horizon], origins [N])` of one
    split, raw values; every target inside the split."""
    start, stop = prepared["bounds"][split]
    try:
        histories, targets = forecast_inputs.windows(series, start, stop, history=window,
                                                     horizon=horizon)
    except ValueError as error:
        raise UsageError(f"--set data.window={window} --set data.horizon={horizon}: "
                         f"{split} split: {error}") from None
    origins = np.arange(stop - horizon - len(targets) + 1, stop - horizon + 1)
    return histories, targets, origins


def build_model(config, horizon, windows=None):
    """The `Forecaster` the configuration describes, built; with the
    training `windows` (`(histories, targets)`, normalised) and
    `model.linear_init=least_squares`, started from the least-squares linear
    forecast (`Forecaster.fit_linear`)."""
    from models.forecaster import Forecaster

    m = config["model"]
    model = Forecaster(horizon, cell=m["cell"], units=m["units"], layers=m["layers"],
                       dropout=m["dropout"], linear_window=m["linear_window"],
                       relative=m["level"] == "last", members=m["members"], name="forecast")
    model(np.zeros((1, config["data"]["window"], 1), "float32"))
    if windows is not None and m["linear_init"] == "least_squares":
        model.fit_linear(*windows)
    return model


def train(config, run_dir, data=None, data_dir=None):
    """Trains (or resumes training) and saves `<run_dir>/model.keras`.

    Loss: mean squared error in normalised units. Returns the Keras history.
    """
    rundir.ensure_prepared(registry.get(config["task"]), config, run_dir, data, data_dir)
    series, prepared = load_prepared(run_dir)
    config = resolved(config, prepared)
    keras.utils.set_random_seed(config["train"]["seed"])
    train_batches, valid_batches = training_batches(config, series, prepared)
    windows = training_windows(config, series, prepared, "train")
    return training.fit(lambda: build_model(config, config["data"]["horizon"], windows),
                        train_batches, valid_batches, config, run_dir, loss="mse",
                        total_steps=total_steps(config, series, prepared))


# The pieces of `train` that the tuner's `ForecastHyperModel` trains with too;
# `config` has the series' window and horizon written in (`resolved`).
def training_windows(config, series, prepared, split):
    """`(histories [N, window], targets [N, horizon])` of `split`, normalised."""
    d = config["data"]
    return split_windows(normalise(series, prepared), prepared, split, d["window"],
                         d["horizon"])[:2]


def training_batches(config, series, prepared):
    """`(train, validation)` batches of normalised windows."""
    d = config["data"]
    return tuple(forecast_inputs.batches(*training_windows(config, series, prepared, split),
                                         batch_size=d["batch_size"],
                                         training=split == "train", seed=d["seed"])
                 for split in ("train", "validation"))


def total_steps(config, series, prepared):
    """Optimizer steps of the whole run, for the cosine schedule."""
    _, targets = training_windows(config, series, prepared, "train")
    return -(-len(targets) // config["data"]["batch_size"]) * config["train"]["epochs"]


# ------------------------------------------------------------- serving
class ForecastServer(tf.Module):
    """Raw history in, raw forecast out: the normaliser and the model in one
    graph, what the export serves (DESIGN section 5).

    The last `window` values of each history are used (the length the model
    was trained on); a shorter history is an error.

    Args:
        model: a trained `Forecaster`.
        mean, std: the normaliser of the training segment.
        window: the history length the model was trained on.
    """

    def __init__(self, model, mean, std, window):
        super().__init__()
        self.model = model
        self.window = int(window)
        self.mean = tf.constant(mean, tf.float32)
        self.std = tf.constant(std, tf.float32)

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
    series, prepared = load_prepared(run_dir)
    n = prepared["normalizer"]
    return ForecastServer(model, n["mean"], n["std"], trained_window(run_dir)), series, prepared


def serving_endpoint(server):
    """The `serving_default` function: `history [B, T]` -> `{"forecast"}`."""

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="history")])
    def serve(history):
        return {"forecast": server(history)}

    return serve


def export(config, run_dir, directory):
    """Writes the SavedModel of a trained run into `directory`; returns the
    metadata dict."""
    server, _, prepared = load_trained(run_dir)
    window = server.window
    export_lib.write_archive(directory, [server.model],
                             {"serving_default": serving_endpoint(server)})
    horizon = server.model.horizon
    return {"model": server.model.get_config(), "window": window, "horizon": horizon,
            "normalizer": prepared["normalizer"], "series": prepared["source"],
            "inputs": {"history": f"float32 [B, T], raw values oldest first, T >= {window}"},
            "outputs": {"forecast": f"float32 [B, {horizon}], the next {horizon} values"}}


# ------------------------------------------------------------ evaluate
def errors(forecasts, targets):
    """RMSE and MAE over every forecast value, and the RMSE of each step."""
    e = np.asarray(forecasts, "float64") - np.asarray(targets, "float64")
    return {"rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(np.abs(e))),
            "rmse_by_step": np.sqrt(np.mean(e**2, axis=0)).round(4).tolist()}


def evaluate(config, run_dir, data=None, data_dir=None, split="test"):
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
    s = settings(config, prepared)
    histories, targets, origins = split_windows(series, prepared, split, window, horizon)
    predicted = server(histories).numpy().astype("float64")  # [N, H]
    _, stop = prepared["bounds"]["train"]  # the training segment starts at 0
    arima = arima_baseline.Baseline(series[:stop], s["order"], s["seasonal_order"],
                                    s["trend"], period=s["period"], harmonics=s["harmonics"])
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


def plot_forecasts(series, origins, predicted, baseline, metrics, path):
    """Two panels: the end of the series with the model's and the baseline's
    forecast from every test origin; the RMSE of each forecast step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    horizon = predicted.shape[1]
    first = max(0, int(origins[0]) - 3 * metrics["window"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), height_ratios=(2, 1))
    steps = np.arange(first, len(series))
    top.plot(steps, series[first:], color="black", lw=1.5, label="truth")
    for i, o in enumerate(origins):
        span = np.arange(o, o + horizon)
        top.plot(span, predicted[i], color="tab:blue", lw=1, alpha=0.7,
                 label="model" if i == 0 else None)
        top.plot(span, baseline[i], color="tab:orange", lw=1, alpha=0.7, ls="--",
                 label="ARIMA baseline" if i == 0 else None)
    top.axvline(origins[0], color="grey", ls=":", lw=1)
    top.set_title(f"{metrics['series']}: {horizon}-step forecasts from each "
                  f"{metrics['split']} origin (RMSE ratio to baseline "
                  f"{metrics['rmse_ratio']:.3f})")
    top.set_xlabel("step")
    top.legend()
    k = np.arange(1, horizon + 1)
    bottom.plot(k, metrics["rmse_by_step"], marker="o", label="model")
    bottom.plot(k, metrics["baseline_rmse_by_step"], marker="o", ls="--",
                label=metrics["baseline"]["model"])
    bottom.set_xticks(k)
    bottom.set_xlabel("steps ahead")
    bottom.set_ylabel("RMSE")
    bottom.legend()
    fig.tight_layout()
    return atomic.save_figure(fig, path)


# ------------------------------------------------------------- predict
def parse_history(text, number, window):
    """Values of one input (separated by commas and/or white space)."""
    fields = [f for f in re.split(r"[,\s]+", text.strip()) if f]
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise UsageError(f"input {number}: expected numbers separated by commas or spaces, "
                         f"got {text[:40]!r}") from None
    bad = [f for f, v in zip(fields, values, strict=True) if not np.isfinite(v)]
    if bad:
        raise UsageError(f"input {number}: value {bad[0]!r} is not a finite number; "
                         "give a history of finite numbers only")
    if len(values) < window:
        raise UsageError(f"input {number}: needs at least {window} values, got {len(values)}")
    return values[-window:]


def predict_values(run_dir, histories):
    """`[B, H]` raw forecasts of a trained run for raw histories (sequences
    of at least `window` values; the last `window` are used)."""
    server, _, _ = load_trained(run_dir)
    rows = np.array([list(h)[-server.window:] for h in histories], "float32")
    return server(rows).numpy()


def predict_lines(config, run_dir, inputs):
    """One line an input history: the H forecast values, tab-separated."""
    window = trained_window(run_dir)
    histories = [parse_history(text, i, window) for i, text in enumerate(inputs, 1)]
    return ["\t".join(f"{v:.4f}" for v in row) for row in predict_values(run_dir, histories)]


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a function forecasting `count` histories (the test
    windows, repeated), for `pipeline.compare`'s inference timing."""
    server, series, prepared = load_trained(run_dir)
    histories, _, _ = split_windows(series, prepared, "test", server.window,
                                    server.model.horizon)
    rows = tf.constant(np.resize(histories, (count, server.window)), tf.float32)
    return (lambda: server(rows)), count


def show_export(path, config, run_dir):
    """Prints the export's forecasts from the first and last test origins,
    read back from the SavedModel as a TF Serving client gets them."""
    series, prepared = load_prepared(run_dir)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    horizon = int(serve.structured_outputs["forecast"].shape[1])
    histories, targets, origins = split_windows(series, prepared, "test",
                                                trained_window(run_dir), horizon)
    answers = serve(history=tf.constant(histories, tf.float32))["forecast"].numpy()
    print("answers of the export (test origins):")
    for i in sorted({0, len(origins) - 1}):
        print(f"  origin {origins[i]}: forecast {' '.join(f'{v:.2f}' for v in answers[i])}")
        print(f"  {' ' * len(str(origins[i]))}         truth    "
              f"{' '.join(f'{v:.2f}' for v in targets[i])}")


# ------------------------------------------------------------------ prepare
SIZE_UNIT = "target steps"
#: Prepare options (recorded in prepared.json): which series, which column.
PREPARE_KEYS = ("forecast.series", "forecast.column")


def load_data(config, data=None, data_dir=None):
    from pipeline.data import builders as data_lib

    f = config["forecast"]
    return data_lib.load("forecast", data=data, data_dir=data_dir, series=f["series"],
                         column=f["column"])


def prepare_data(task_data, config, directory):
    """The normaliser fitted on the training values, and the whole series."""
    start, stop = task_data.splits["train"]
    mean, std = forecast_inputs.fit_normalizer(task_data.series[start:stop])
    np.save(os.path.join(directory, "series.npy"), task_data.series)
    return {"normalizer": {"mean": mean, "std": std}, "bounds": task_data.splits}


def describe_data(task_data, count=3):
    start, _ = task_data.splits["train"]
    return [f"first values {task_data.series[start:start + 5].round(2).tolist()}"]
