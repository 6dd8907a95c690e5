"""What every task's train stage shares: the prepared data, the optimiser,
the callbacks, the fit and the atomic save.

Training uses Adam with gradient clipping by global norm (seed 003 slide 54),
a Keras progress bar, TensorBoard logs (`<run-dir>/logs`), a CSV history,
the best weights by the monitored validation value, early stopping, and
`keras.callbacks.BackupAndRestore`, so rerunning a killed train command
continues from the last finished epoch.
"""

import os

import keras
import tensorflow as tf

from pipeline import atomic

#: `train.strategy` values: where the model's variables and steps run.
STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def distribution(name="default"):
    """The `tf.distribute.Strategy` called `name` (one of `STRATEGIES`).

    `mirrored` copies the model to every local GPU (or logical CPU device);
    `multiworker` reads the cluster from `TF_CONFIG`; `tpu` connects to the
    TPU the environment names.
    """
    from pipeline.errors import UsageError

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise UsageError(f"--strategy {name}: choose from {', '.join(STRATEGIES)}")


def ensure_prepared(config, run_dir, data=None, data_dir=None):
    """Runs the prepare stage unless `<run_dir>/data/` holds its output.

    The prepare options come from the configuration's section named after
    the task (`pipeline.prepare.options_from_config`)."""
    from pipeline import prepare

    if not os.path.exists(os.path.join(run_dir, "data", "prepared.json")):
        prepare.prepare(config["task"], data=data, data_dir=data_dir, run_dir=run_dir,
                        options=prepare.options_from_config(config))


def optimizer(train_config):
    """Adam with `learning_rate` and `clipnorm` (0 = no clipping)."""
    clipnorm = train_config.get("clipnorm") or None
    return keras.optimizers.Adam(train_config["learning_rate"], clipnorm=clipnorm)


def callbacks(run_dir, train_config, monitor="val_loss", mode="min"):
    """Backup-and-restore, best checkpoint, early stopping, TensorBoard and
    CSV logging, all under `run_dir`."""
    checkpoints = os.path.join(run_dir, "checkpoints")
    return [
        keras.callbacks.BackupAndRestore(os.path.join(checkpoints, "backup")),
        keras.callbacks.ModelCheckpoint(os.path.join(checkpoints, "best.weights.h5"),
                                        monitor=monitor, mode=mode, save_best_only=True,
                                        save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor=monitor, mode=mode,
                                      patience=train_config["patience"],
                                      restore_best_weights=True),
        keras.callbacks.TensorBoard(os.path.join(run_dir, "logs")),
        keras.callbacks.CSVLogger(os.path.join(run_dir, "history.csv"), append=True),
    ]


def save_model(model, run_dir):
    """Writes `<run_dir>/model.keras` atomically (a staging file renamed)."""
    staging = os.path.join(run_dir, "model.tmp.keras")
    model.save(staging)
    os.replace(staging, os.path.join(run_dir, "model.keras"))


def fit(build_model, train_batches, valid_batches, config, run_dir, *, loss, metrics=None,
        monitor="val_loss", mode="min", extra_callbacks=(), steps_per_epoch=None):
    """Builds the model with `build_model()` inside the configured
    distribution strategy, compiles and fits it with the callbacks above,
    saves it, writes `config.json`, `train_history.json` and
    `plots/learning_curves.png`, and returns the Keras history dict.

    `config["train"]` holds `epochs`, `learning_rate`, `clipnorm`,
    `patience`, `seed`, `jit_compile` and optionally `strategy` (one of
    `STRATEGIES`, default `"default"`).
    """
    t = config["train"]
    atomic.write_json(os.path.join(run_dir, "config.json"), config)
    with distribution(t.get("strategy", "default")).scope():
        model = build_model()
        model.compile(optimizer=optimizer(t), loss=loss, metrics=metrics,
                      jit_compile=t["jit_compile"])
    history = model.fit(train_batches, validation_data=valid_batches, epochs=t["epochs"],
                        steps_per_epoch=steps_per_epoch,
                        callbacks=callbacks(run_dir, t, monitor, mode) + list(extra_callbacks),
                        verbose="auto")
    save_model(model, run_dir)
    atomic.write_json(os.path.join(run_dir, "train_history.json"), history.history)
    plot_history(history.history, os.path.join(run_dir, "plots", "learning_curves.png"))
    return history.history


def load_trained(run_dir):
    """The trained model of a run (`<run_dir>/model.keras`), uncompiled."""
    import models.attention  # noqa: F401  (these register the project's layers)
    import models.seq2seq  # noqa: F401
    import models.transformer  # noqa: F401

    path = os.path.join(run_dir, "model.keras")
    if not os.path.exists(path):
        from pipeline.errors import UsageError

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
    os.makedirs(os.path.dirname(path), exist_ok=True)
    staging = path + ".tmp.png"
    fig.savefig(staging, dpi=100)
    plt.close(fig)
    os.replace(staging, path)
    return path
