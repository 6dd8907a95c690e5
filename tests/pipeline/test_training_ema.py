"""Weight averaging in `pipeline.core.training.fit` (`train.ema`): the model that
is validated, checkpointed and kept is the exponential moving average of the
weights the optimizer steps through, w_avg <- m w_avg + (1 - m) w."""

import os
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from pipeline.core import training
from pipeline.core.errors import UsageError

MOMENTUM = 0.5
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class RecordWeights(keras.callbacks.Callback):
    """The training weights after every optimizer step."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append([w.copy() for w in self.model.get_weights()])


def regression(examples, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(examples, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(4)


class Interrupt(keras.callbacks.Callback):
    """Stops the process's training as a kill would, at the start of an epoch."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def fit(tmp_path, momentum, epochs=3, interrupt=()):
    config = {"task": "forecast", "train": {"epochs": epochs, "learning_rate": 0.05,
                                            "clipnorm": 0.0, "patience": 10, "seed": 0,
                                            "jit_compile": False, "ema": momentum}}
    keras.utils.set_random_seed(0)
    record = RecordWeights()
    history = training.fit(lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]),
                           regression(16, 0), regression(8, 1), config, str(tmp_path),
                           loss="mse", extra_callbacks=[record, *interrupt])
    kept = keras.saving.load_model(os.path.join(tmp_path, "model.keras"), compile=False)
    return history, record.steps, kept.get_weights()


def test_the_kept_model_is_the_average_at_the_best_epoch(tmp_path):
    history, steps, kept = fit(tmp_path, MOMENTUM)
    averages, average = [], None
    for weights in steps:  # the first step's weights start the average
        average = weights if average is None else [
            MOMENTUM * a + (1 - MOMENTUM) * w for a, w in zip(average, weights, strict=True)]
        averages.append(average)
    per_epoch = len(steps) // len(history["loss"])  # 4 steps of 4 examples
    best = int(np.argmin(history["val_loss"]))
    expected = averages[(best + 1) * per_epoch - 1]
    for got, want in zip(kept, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # The average is not the training weights themselves (the rate is high).
    assert not np.allclose(kept[0], steps[(best + 1) * per_epoch - 1][0], atol=1e-3)
    # The best-weights checkpoint holds the same averaged weights.
    with h5py.File(os.path.join(tmp_path, "checkpoints", "best.weights.h5")) as saved:
        kernels = []
        saved.visit(lambda name: kernels.append(saved[name][()])
                    if isinstance(saved[name], h5py.Dataset) and saved[name].ndim == 2 else None)
    np.testing.assert_allclose(kernels[0], expected[0], rtol=1e-5, atol=1e-6)


def test_a_resumed_run_ends_as_an_uninterrupted_one(tmp_path):
    *_, uninterrupted = fit(tmp_path / "whole", MOMENTUM)
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path / "resumed", MOMENTUM, interrupt=[Interrupt(2)])
    *_, resumed = fit(tmp_path / "resumed", MOMENTUM)  # the same command again
    for got, want in zip(resumed, uninterrupted, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_validation_scores_the_averaged_weights(tmp_path):
    history, _, kept = fit(tmp_path, MOMENTUM, epochs=1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.set_weights(kept)
    model.compile(loss="mse")
    assert model.evaluate(regression(8, 1), verbose=0) == pytest.approx(
        history["val_loss"][0], rel=1e-5)


@pytest.mark.parametrize("momentum", [-0.1, 1.0])
def test_a_momentum_outside_0_1_is_a_usage_error(momentum):
    with pytest.raises(UsageError, match="train.ema"):
        training.optimizer({"learning_rate": 1e-3, "ema": momentum})


def test_the_train_command_rejects_a_bad_momentum_before_writing(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run_dir = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "pipeline.train", "--task", "synthetic",
                             "--preset", "smoke", "--set", "train.ema=1", "--run-dir",
                             str(run_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "train.ema=1.0" in lines[0]
    assert not run_dir.exists()


def test_no_averaging_by_default():
    assert not training.optimizer({"learning_rate": 1e-3}).use_ema
    assert training.ema_callbacks({"learning_rate": 1e-3}) == []
