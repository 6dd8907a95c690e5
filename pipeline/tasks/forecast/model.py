"""The forecast task's model and training recipe.

The model (`models.forecaster.Forecaster`) works in normalised units: it is
trained with the mean squared error of normalised windows, and `server`
scales raw values in and out inside the exported graph. A search scores it
by the validation RMSE in the series' own units (`validation_metrics`).
"""

import numpy as np

from pipeline.core.task import Recipe
from pipeline.tasks.forecast import data as series_data
from pipeline.tasks.forecast import inputs, settings

#: The least-squares start reads at most the last this many training
#: windows (a copy of them in float64 is made), so a long user series does
#: not cost `window` times its size; the embedded series have fewer.
LEAST_SQUARES_WINDOWS = 100_000


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
        model.fit_linear(*(part[-LEAST_SQUARES_WINDOWS:] for part in windows))
    return model


def validation_metrics(model, windows, prepared):
    """`val_rmse` and `val_mae` of the model's forecasts of the validation
    `windows` (normalised), in the series' units."""
    histories, targets = windows
    std = prepared["normalizer"]["std"]
    predicted = np.asarray(model.predict(histories[..., None], verbose=0), "float64")
    error = (predicted - targets) * std  # the mean cancels
    return {"val_rmse": float(np.sqrt(np.mean(error**2))),
            "val_mae": float(np.mean(np.abs(error)))}


def recipe(config, run_dir):
    """The training `Recipe` on the prepared series of `run_dir`: normalised
    windows, the `Forecaster` (started from the least-squares forecast),
    the mean squared error, and the optimizer steps of the run (for a
    cosine schedule). `config` is resolved to the series' defaults here."""
    series, prepared = series_data.load_prepared(run_dir)
    config = settings.resolved(config, prepared)
    d = config["data"]
    windows = {split: series_data.training_windows(config, series, prepared, split)
               for split in ("train", "validation")}
    batches = {split: inputs.batches(*windows[split], batch_size=d["batch_size"],
                                     training=split == "train", seed=d["seed"])
               for split in windows}
    steps = -(-len(windows["train"][1]) // d["batch_size"]) * config["train"]["epochs"]
    return Recipe(
        build_model=lambda: build_model(config, d["horizon"], windows["train"]),
        train_batches=batches["train"], valid_batches=batches["validation"], loss="mse",
        total_steps=steps,
        validation_metrics=lambda model: validation_metrics(model, windows["validation"],
                                                            prepared))
