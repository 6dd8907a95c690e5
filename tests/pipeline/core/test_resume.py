"""Resuming survives an interruption at any epoch (`pipeline.core.resume`,
issue 33 item 4): the whole history, a truncated backup, and the early
stopping and best checkpoint state carried over. Training is interrupted
in the process by a callback raising after an epoch's backup, as a kill
would leave it; `test_faults.py` kills real processes."""

import csv
import glob
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from pipeline.core import training

CONFIG = {"train": {"epochs": 6, "learning_rate": 0.05, "clipnorm": 1.0, "patience": 100,
                    "seed": 0, "jit_compile": False}}


class Interrupted(Exception):
    pass


class InterruptAfter(keras.callbacks.Callback):
    """Raises at the end of epoch `epoch` (0-based), after the backup."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupted


def batches(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


def build_model():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])


def fit(run_dir, config=CONFIG, extra=()):
    return training.fit(build_model, batches(0), batches(1), config, str(run_dir), loss="mse",
                        extra_callbacks=list(extra))


def interrupted(run_dir, epoch, config=CONFIG):
    with pytest.raises(Interrupted):
        fit(run_dir, config, [InterruptAfter(epoch)])


def test_a_resumed_run_keeps_the_whole_history(tmp_path):
    interrupted(tmp_path, 2)  # epochs 0, 1, 2 done
    history = fit(tmp_path)
    assert len(history["loss"]) == len(history["val_loss"]) == 6
    with open(tmp_path / "train_history.json", encoding="utf-8") as handle:
        assert len(json.load(handle)["loss"]) == 6
    with open(tmp_path / "history.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == list(range(6))
    assert not os.path.exists(tmp_path / "checkpoints" / "backup")  # removed when done


def test_a_truncated_backup_falls_back_to_the_previous_one(tmp_path, capsys):
    interrupted(tmp_path, 3)
    newest = max(glob.glob(str(tmp_path / "checkpoints" / "backup" / "**" / "*.h5"),
                           recursive=True), key=os.path.getmtime)
    with open(newest, "r+b") as handle:  # as a kill during the write leaves it
        handle.truncate(os.path.getsize(newest) // 2)
    capsys.readouterr()
    history = fit(tmp_path)
    notice = [line for line in capsys.readouterr().err.splitlines() if "backup" in line]
    assert len(notice) == 1 and "cannot be read" in notice[0]
    assert len(history["loss"]) == 6


def test_early_stopping_and_the_best_checkpoint_carry_over(tmp_path, monkeypatch):
    made = []
    original = training.callbacks

    def recorded(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(training, "callbacks", recorded)

    def stopping(callbacks):
        return next(c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping))

    def checkpoint(callbacks):
        return next(c for c in callbacks if isinstance(c, keras.callbacks.ModelCheckpoint))

    seen = {}

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not seen:
                seen.update(best=stopping(made[-1]).best, wait=stopping(made[-1]).wait,
                            checkpoint_best=checkpoint(made[-1]).best)

    interrupted(tmp_path, 2)
    before = stopping(made[0])
    assert before.best is not None
    fit(tmp_path, extra=[Probe()])
    assert seen["best"] == pytest.approx(before.best)
    assert seen["wait"] == before.wait
    assert seen["checkpoint_best"] == pytest.approx(checkpoint(made[0]).best)


def test_a_checkpoint_write_cut_short_leaves_the_previous_checkpoint_whole(tmp_path,
                                                                          monkeypatch):
    """The best checkpoint is written under a staging name and renamed: a
    write that dies half-way (a kill) leaves the last whole checkpoint,
    which the resume reads back."""
    from pipeline.core.resume import AtomicCheckpoint

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    path = str(tmp_path / "best.weights.h5")
    checkpoint = AtomicCheckpoint(path, monitor="loss", save_best_only=True,
                                  save_weights_only=True)
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"loss": 2.0})
    whole = open(path, "rb").read()

    def killed(filepath, overwrite=True):
        with open(filepath, "wb") as handle:
            handle.write(b"\x89HDF")  # the first bytes, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save_weights", killed)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.on_epoch_end(1, {"loss": 1.0})
    assert open(path, "rb").read() == whole
    monkeypatch.undo()
    model.load_weights(path)  # readable
    checkpoint.on_epoch_end(2, {"loss": 0.5})  # the next write replaces it, staging gone
    assert os.listdir(tmp_path) == ["best.weights.h5"]


def test_a_computed_value_is_monitored_and_recorded(tmp_path):
    """`epoch_metrics` values reach the logs before the best checkpoint and
    early stopping read them, and the run's history (resumed ones too)."""
    scores = iter([3.0, 1.0, 2.0, 5.0, 6.0, 7.0])  # best after the second epoch
    kept = {}

    def computed(model):
        kept[len(kept)] = model.get_weights()[0].copy()
        return {"val_score": next(scores)}

    config = {"train": {**CONFIG["train"], "patience": 2}}
    history = training.fit(build_model, batches(0), batches(1), config, str(tmp_path),
                           loss="mse", monitor="val_score", epoch_metrics=computed)
    assert history["val_score"] == [3.0, 1.0, 2.0, 5.0]  # stopped after 2 epochs without gain
    with open(tmp_path / "history.csv", encoding="utf-8") as handle:
        assert [float(row["val_score"]) for row in csv.DictReader(handle)] == [3.0, 1.0, 2.0,
                                                                                5.0]
    best = build_model()
    best.load_weights(tmp_path / "checkpoints" / "best.weights.h5")
    np.testing.assert_allclose(best.get_weights()[0], kept[1])
