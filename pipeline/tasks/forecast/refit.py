"""The network refitted once per block: before the test block is
forecast, a copy of the trained network's recipe is fitted again on the
training and validation segments together (the expanding window), the
policy the statistical peers follow at every origin and NeuralForecast's
`cross_validation(refit=True)` follows once per window of origins
(`--set evaluate.refit=block`, the default; `none` forecasts the test
block with the network of the train stage).

The refit has no held-out values left to stop on, so it trains for the
epochs at which the train stage's validation loss was lowest (the epochs
of the weights it kept), from the same seed, least-squares start and
learning-rate schedule, on every window whose targets lie in the two
segments. The normaliser stays the training segment's, so the export's
graph is unchanged but for the weights.

Everything chosen on the validation origins (early stopping, the
combination of `bench.forecast_suite`, the conformal calibration of
`intervals`) reads the network of the train stage, which has not seen the
validation targets; only the test block and the export use the refit.

The refitted model is `<run_dir>/refit/model.keras`, tagged in
`refit.json` with the digest of the run's `model.keras`
(`rundir.model_digest`) and the epochs, so a retrained run refits again
and evaluate, export and predict share one refit.
"""

import os

import keras
import numpy as np

from pipeline.core import atomic, rundir, training
from pipeline.core.errors import UsageError
from pipeline.tasks.forecast import data as series_data
from pipeline.tasks.forecast import inputs, settings

DIRECTORY = "refit"


def best_epochs(run_dir, monitor="val_loss"):
    """The epochs up to the train stage's lowest `monitor` (the weights
    early stopping kept), from `train_history.json`."""
    history = rundir.read_json(run_dir, "train_history.json")
    if not history or not history.get(monitor):
        raise UsageError(f"--run-dir {run_dir}: no training history with {monitor} "
                         "(train_history.json); run the train stage first, or pass "
                         "--set evaluate.refit=none")
    return int(np.argmin(history[monitor])) + 1


def expanding_windows(config, series, prepared):
    """`(histories [N, window], targets [N, horizon])`, normalised: every
    window whose targets lie in the training or validation segment."""
    start, _ = prepared["bounds"]["train"]
    _, stop = prepared["bounds"]["validation"]
    joined = {**prepared, "bounds": {"refit": [start, stop]}}
    return series_data.training_windows(config, series, joined, "refit")


def fit(config, series, prepared, epochs):
    """A `Forecaster` fitted as the train stage fits one (the seed, the
    least-squares start, Adam with the run's rate, schedule and clipping),
    on `expanding_windows`, for `epochs` epochs, with a progress bar."""
    from pipeline.tasks.forecast.model import build_model

    d, t = config["data"], config["train"]
    windows = expanding_windows(config, series, prepared)
    keras.utils.set_random_seed(t["seed"])
    batches = inputs.batches(*windows, batch_size=d["batch_size"], training=True,
                             seed=d["seed"])
    steps = -(-len(windows[1]) // d["batch_size"])
    batches, _, steps_per_epoch, total = training.capped(
        batches, None, None, steps * epochs, t.get("max_steps_per_epoch", 0), epochs)
    model = build_model(config, d["horizon"], windows)
    model.compile(optimizer=training.optimizer(t, total), loss="mse",
                  jit_compile=t["jit_compile"])
    print(f"refitting the network on the training and validation segments "
          f"({len(windows[1])} windows, {epochs} epoch{'s' * (epochs != 1)})")
    bar = keras.utils.Progbar(epochs, unit_name="epoch")
    model.fit(batches, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: bar.add(1))])
    if t.get("ema"):
        model.optimizer.finalize_variable_values(model.trainable_variables)
    return model


def tag(run_dir):
    """`refit.json` of the run's refit, `{"model", "epochs", "segments"}`,
    or None when there is none for the run's present `model.keras`."""
    found = rundir.read_json(run_dir, DIRECTORY, "refit.json")
    present = os.path.exists(os.path.join(run_dir, DIRECTORY, "model.keras"))
    if not found or not present or found["model"] != rundir.model_digest(run_dir):
        return None
    return found


def saved(run_dir):
    """The refitted model of the run's present `model.keras`, or None when
    there is none (never refitted, or retrained since)."""
    import models.forecaster  # noqa: F401  (registers Forecaster)

    if tag(run_dir) is None:
        return None
    return keras.saving.load_model(os.path.join(run_dir, DIRECTORY, "model.keras"),
                                   compile=False)


def refitted(config, run_dir):
    """The refitted model of the run: `saved`, else fitted now (`fit`) and
    saved, atomically, with its tag."""
    model = saved(run_dir)
    if model is not None:
        return model
    series, prepared = series_data.load_prepared(run_dir)
    config = settings.resolved(rundir.read_json(run_dir, "config.json") or config, prepared)
    epochs = best_epochs(run_dir)
    model = fit(config, series, prepared, epochs)
    directory = os.path.join(run_dir, DIRECTORY)
    os.makedirs(directory, exist_ok=True)
    training.save_model(model, directory)
    atomic.write_json(os.path.join(directory, "refit.json"),
                      {"model": rundir.model_digest(run_dir), "epochs": epochs,
                       "segments": ["train", "validation"]})
    return model
