"""What every task's train stage shares: the prepared data, the optimiser,
the callbacks, the fit and the atomic save.

Training uses Adam with gradient clipping by global norm (Beigy, "Deep learning: Recurrent neural
networks", slide 54), a Keras progress bar, TensorBoard logs (`<run-dir>/logs`), a CSV history,
the best weights by the monitored validation value, early stopping, and
an atomic backup after every epoch (`pipeline.core.resume`), so rerunning a
train command killed at any moment continues from the last finished epoch
with the run's whole history and its early-stopping state. Optionally (`train.ema`) the model
that is validated, checkpointed and kept is an exponential moving average
of the weights along the training trajectory (Polyak averaging).
"""

import os

import keras

from pipeline.core import atomic
from pipeline.core.distribution import adapt_for_strategy, strategy_named, writer_dir
from pipeline.core.errors import UsageError


def ema_momentum(train_config):
    """`train_config["ema"]`, the momentum of the weight average (0 = none).

    With momentum m the averaged weights follow
    w_avg <- m w_avg + (1 - m) w after every optimizer step (starting from
    the first step's weights), an average over about 1 / (1 - m) steps:
    Polyak and Juditsky 1992, as the exponential average of Keras'
    `use_ema` optimizers.
    """
    momentum = train_config.get("ema", 0.0)
    if not 0.0 <= momentum < 1.0:
        raise UsageError(f"--set train.ema={momentum}: expected 0 (no averaging) "
                         "or a momentum in (0, 1), such as 0.99")
    return momentum


def optimizer(train_config, total_steps=None):
    """Adam with `learning_rate` and `clipnorm` (0 = no clipping), keeping
    a moving average of the weights when `train_config["ema"]` is set
    (`ema_momentum`).

    With `train_config["schedule"] == "cosine"` and `total_steps` known, the
    learning rate follows a cosine from `learning_rate` down to zero over the
    run (Loshchilov and Hutter 2017, without restarts), which gives more
    from a short, fixed budget than a constant rate.
    """
    clipnorm = train_config.get("clipnorm") or None
    rate = train_config["learning_rate"]
    if train_config.get("schedule", "constant") == "cosine" and total_steps:
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=total_steps)
    momentum = ema_momentum(train_config)
    return keras.optimizers.Adam(rate, clipnorm=clipnorm, use_ema=momentum > 0,
                                 ema_momentum=momentum or 0.99)


def ema_callbacks(train_config):
    """With weight averaging on, the callback that puts the averaged weights
    in the model for validation and from the end of each epoch to the start
    of the next, so the callbacks after it (checkpoints, early stopping, the
    tuner's objective) see and keep the averaged model; none otherwise."""
    if not ema_momentum(train_config):
        return []
    return [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)]


class EpochMetrics(keras.callbacks.Callback):
    """Adds `compute()`'s `{name: value}` to the logs at the end of each epoch.

    It must run before the callbacks that read those logs (checkpoints,
    `EarlyStopping`, `History`, keras-tuner's): pass it before them.
    """

    def __init__(self, compute):
        super().__init__()
        self.compute = compute

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self.compute())


def callbacks(run_dir, train_config, monitor="val_loss", mode="min", epoch_metrics=None):
    """The resumable backup, best checkpoint, early stopping, TensorBoard and
    the CSV history (`<run_dir>/history.csv`, the whole run's, rewritten by
    the backup), all under `run_dir`; the first is the `resume.Resume`.

    The backup comes before `ema_callbacks`, so it saves the training
    weights (and their average in the optimizer) that resuming continues
    from; the checkpoint and early stopping come after, so with averaging
    they keep the best averaged weights. The backup carries the best value
    of both and the wait of early stopping over a resume.

    `epoch_metrics`, `model -> {"val_...": value}`, adds values to every
    epoch's logs (before the checkpoint, so `monitor` can name one of them)."""
    from pipeline.core.resume import AtomicCheckpoint, Resume

    checkpoints = os.path.join(run_dir, "checkpoints")
    best = os.path.join(checkpoints, "best.weights.h5")
    checkpoint = AtomicCheckpoint(best, monitor=monitor, mode=mode, save_best_only=True,
                                  save_weights_only=True)
    stopping = keras.callbacks.EarlyStopping(monitor=monitor, mode=mode,
                                             patience=train_config["patience"],
                                             restore_best_weights=True)
    resume = Resume(os.path.join(checkpoints, "backup"), carried=(checkpoint, stopping),
                    best_weights=best, history_csv=os.path.join(run_dir, "history.csv"))
    computed = [EpochMetrics(lambda: epoch_metrics(resume.model))] if epoch_metrics else []
    return [resume, *ema_callbacks(train_config), *computed, checkpoint, stopping,
            keras.callbacks.TensorBoard(os.path.join(run_dir, "logs")), resume.commit()]


def save_model(model, run_dir):
    """Writes `<run_dir>/model.keras` atomically (a staging file renamed)."""
    staging = os.path.join(run_dir, "model.tmp.keras")
    model.save(staging)
    os.replace(staging, os.path.join(run_dir, "model.keras"))


def capped(train_batches, valid_batches, steps_per_epoch, total_steps, cap, epochs):
    """`(train_batches, valid_batches, steps_per_epoch, total_steps)` with
    an epoch of at most `cap` training batches (0 = no cap) and at most
    `cap` validation batches, so the time of an epoch stops growing with the
    data. The cap binds only where the data hold more: training then
    repeats its batches and each epoch continues where the last one ended;
    a training dataset of unknown length is left whole."""
    if not cap:
        return train_batches, valid_batches, steps_per_epoch, total_steps
    import tensorflow as tf

    steps = steps_per_epoch or int(train_batches.cardinality())
    if steps > cap:  # unknown (-2) and infinite (-1) lengths are left alone
        if steps_per_epoch is None:
            train_batches = train_batches.repeat()
        steps_per_epoch = cap
        total_steps = min(total_steps, cap * epochs) if total_steps else total_steps
    if valid_batches is not None:
        valid_length = int(valid_batches.cardinality())
        if valid_length == tf.data.UNKNOWN_CARDINALITY or valid_length > cap:
            valid_batches = valid_batches.take(cap)
    return train_batches, valid_batches, steps_per_epoch, total_steps


def fit(build_model, train_batches, valid_batches, config, run_dir, *, loss, metrics=None,
        monitor="val_loss", mode="min", extra_callbacks=(), steps_per_epoch=None,
        total_steps=None, epoch_metrics=None):
    """Builds the model with `build_model()` inside the configured
    distribution strategy, compiles and fits it with the callbacks above,
    saves it, writes `config.json`, `train_history.json` and
    `plots/learning_curves.png`, and returns the Keras history dict of the
    whole run (a resumed run's earlier epochs included).

    `config["train"]` holds `epochs`, `learning_rate`, `clipnorm`,
    `patience`, `seed`, `jit_compile` and optionally `strategy` (one of
    `STRATEGIES`, default `"default"`), `schedule` (`"constant"` or
    `"cosine"`; a cosine needs `total_steps`, the optimizer steps of the run),
    `ema` (`ema_momentum`) and `max_steps_per_epoch` (`capped`).
    `epoch_metrics` (`callbacks`) computes validation values after every
    epoch for `monitor` to follow.
    """
    t = config["train"]
    train_batches, valid_batches, steps_per_epoch, total_steps = capped(
        train_batches, valid_batches, steps_per_epoch, total_steps,
        t.get("max_steps_per_epoch", 0), t["epochs"])
    strategy = strategy_named(t.get("strategy", "default"))
    run_dir = writer_dir(strategy, run_dir)
    atomic.write_json(os.path.join(run_dir, "config.json"), config)
    with strategy.scope():
        model = build_model()
        model.compile(optimizer=optimizer(t, total_steps), loss=loss, metrics=metrics,
                      jit_compile=t["jit_compile"])
    adapt_for_strategy(model, strategy, train_batches)
    stage_callbacks = callbacks(run_dir, t, monitor, mode, epoch_metrics)
    model.fit(train_batches, validation_data=valid_batches, epochs=t["epochs"],
              steps_per_epoch=steps_per_epoch,
              callbacks=stage_callbacks + list(extra_callbacks), verbose="auto")
    history = stage_callbacks[0].history
    save_model(model, run_dir)
    atomic.write_json(os.path.join(run_dir, "train_history.json"), history)
    plot_history(history, os.path.join(run_dir, "plots", "learning_curves.png"))
    return history


def train(task, config, run_dir, data=None, data_dir=None):
    """The train stage of a task: prepares the data unless the run has it,
    seeds Keras with `train.seed` (weights, dropout, shuffling), then fits
    the task's `Recipe` (`Task.train` by default)."""
    from pipeline.core import rundir

    rundir.ensure_prepared(task, config, run_dir, data, data_dir)
    keras.utils.set_random_seed(config["train"]["seed"])
    return fit_recipe(task.recipe(config, run_dir, data, data_dir), config, run_dir)


def fit_recipe(recipe, config, run_dir):
    """`fit` of a `pipeline.core.task.Recipe`; its `validation_metrics` run
    after every epoch only when `monitor` is not a value Keras logs."""
    logged = {"val_loss", *(f"val_{getattr(metric, 'name', metric)}"
                            for metric in recipe.metrics or ())}
    computed = recipe.validation_metrics if recipe.monitor not in logged else None
    return fit(recipe.build_model, recipe.train_batches, recipe.valid_batches, config, run_dir,
               loss=recipe.loss, metrics=recipe.metrics, monitor=recipe.monitor,
               mode=recipe.mode, extra_callbacks=recipe.callbacks,
               steps_per_epoch=recipe.steps_per_epoch, total_steps=recipe.total_steps,
               epoch_metrics=computed)


def load_trained(run_dir):
    """The trained model of a run (`<run_dir>/model.keras`), uncompiled."""
    import importlib
    import pkgutil

    import models

    for module in pkgutil.walk_packages(models.__path__, "models."):
        importlib.import_module(module.name)  # registers the project's layers and models

    path = os.path.join(run_dir, "model.keras")
    if not os.path.exists(path):
        from pipeline.core.errors import UsageError

        raise UsageError(f"--run-dir {run_dir}: no trained model (model.keras); "
                         "run the train stage first")
    return keras.saving.load_model(path, compile=False)


def plot_history(history, path):
    """A PNG of every logged quantity per epoch, training next to validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in history if not k.startswith("val_") and k != "learning_rate"]
    if not names or not history[names[0]]:
        return None
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], marker="o", label="train")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    return atomic.save_figure(fig, path)
