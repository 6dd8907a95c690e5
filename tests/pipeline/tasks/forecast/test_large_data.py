"""A long user series streams (issue 33 item 3): reading it holds no
Python object a value, and the smoke preset's epochs stop growing with it
while the embedded series stay below the cap."""

import tracemalloc

import keras
import numpy as np
import pytest

from pipeline import train
from pipeline.core import training
from pipeline.core.config import resolve
from pipeline.core.errors import run_cli
from pipeline.data.sources import read_series_csv
from pipeline.tasks.forecast import config as forecast_config
from pipeline.tasks.forecast import data, inputs


def write_series(path, count):
    values = 50 + 40 * np.sin(2 * np.pi * np.arange(count) / 11)
    path.write_text("value\n" + "\n".join(f"{v:.4f}" for v in values) + "\n", encoding="utf-8")
    return path


def test_reading_a_long_csv_takes_about_its_size(tmp_path):
    path = write_series(tmp_path / "long.csv", 200_000)  # 1.6 MB
    size = path.stat().st_size
    tracemalloc.start()
    try:
        series = read_series_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert series.shape == (200_000,)
    assert peak < 3 * size, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def test_the_smoke_preset_caps_the_steps_of_an_epoch(tmp_path, monkeypatch):
    path = write_series(tmp_path / "long.csv", 20_000)  # about 560 training batches
    steps = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            steps.append(0)

        def on_train_batch_end(self, batch, logs=None):
            steps[-1] += 1

    original = training.callbacks
    monkeypatch.setattr(training, "callbacks", lambda *a, **k: [*original(*a, **k), Count()])
    assert run_cli(train.main, ["--task", "forecast", "--preset", "smoke", "--data", str(path),
                                "--run-dir", str(tmp_path / "run")]) == 0
    assert steps == [forecast_config.SMOKE_STEPS] * 2


@pytest.mark.parametrize("series", data.EMBEDDED)
@pytest.mark.parametrize("preset", ["smoke", "quick"])
def test_the_cap_does_not_bind_on_the_embedded_series(series, preset):
    config = resolve("forecast", preset, sets=[f"forecast.series={series}"])
    task_data = data.load(None, None, series)
    defaults = forecast_config.SERIES[series]
    cap = config["train"]["max_steps_per_epoch"]
    for split in ("train", "validation"):
        histories, _ = inputs.windows(task_data.series, *task_data.splits[split],
                                      history=defaults["window"], horizon=defaults["horizon"])
        assert -(-len(histories) // config["data"]["batch_size"]) <= cap


def test_capped_repeats_the_training_batches_only_when_the_cap_binds():
    import tensorflow as tf

    long, short = tf.data.Dataset.range(500).batch(1), tf.data.Dataset.range(50).batch(1)
    train_batches, valid, steps, total = training.capped(long, long, None, 1000, 100, 3)
    assert (steps, total) == (100, 300)
    assert int(train_batches.cardinality()) == tf.data.INFINITE_CARDINALITY
    assert int(valid.cardinality()) == 100
    assert training.capped(short, short, None, 100, 100, 3) == (short, short, None, 100)
