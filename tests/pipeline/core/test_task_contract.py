"""A task is one folder: a toy task defined only in this file, registered
with `pipeline.core.task.register`, runs through prepare, train, evaluate,
export, predict and a two-trial keras-tuner search with nothing else of
the project knowing it."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from pipeline import evaluate, export, predict, prepare, train
from pipeline.core import atomic, evaluation, registry, training
from pipeline.core import export as export_lib
from pipeline.core.errors import UsageError, run_cli
from pipeline.core.schema import Option, Schema, at_least, common
from pipeline.core.task import Recipe, Task
from pipeline.data.builders import TaskData
from tuning import search

LENGTH = 6


SEEDS = {"train": 0, "validation": 1, "test": 2}


def sequences(config, split):
    """`(inputs [N, LENGTH, 1], targets [N, 1])`: the target is the sum."""
    count = config["toy"]["examples"] if split == "train" else 16
    rng = np.random.default_rng(SEEDS[split])
    inputs = rng.uniform(-1, 1, size=(count, LENGTH, 1)).astype("float32")
    return inputs, inputs.sum(axis=1)


class SumTask(Task):
    """Predict the sum of a short sequence: the smallest task there is."""

    name = "toy_sum"
    schema = Schema(
        Option("toy.examples", 64, "training sequences", at_least(8), prepare=True,
               run_key=True),
        common("data.batch_size", 16),
        common("model.units", 4),
        common("train.epochs", 2),
        common("train.learning_rate", 1e-2),
        common("train.clipnorm", 1.0),
        common("train.patience", 2),
        common("train.seed", 0),
        common("train.jit_compile", False),
        common("train.strategy", "default"),
    )
    presets = {"smoke": {"train": {"epochs": 1}}, "quick": {}, "full": {}}

    def load_data(self, config, data=None, data_dir=None):
        splits = {split: tf.data.Dataset.from_tensor_slices(sequences(config, split))
                  for split in SEEDS}
        return TaskData(self.name, "generated", splits)

    def prepare_data(self, task_data, config, directory):
        mean = float(sequences(config, "train")[1].mean())  # fitted on train only
        return {"target_mean": mean}

    def describe_data(self, task_data, count=3):
        return [f"sum {float(y[0]):.3f}" for _, y in task_data.splits["train"].take(count)]

    def recipe(self, config, run_dir, data=None, data_dir=None):
        splits = self.load_data(config).splits
        batch = config["data"]["batch_size"]

        def batches(split):
            return splits[split].batch(batch)

        def build_model():
            from models import Recurrent
            from models.cells import ElmanCell

            model = keras.Sequential([keras.Input((None, 1)),
                                      Recurrent(ElmanCell(config["model"]["units"])),
                                      keras.layers.Dense(1)])
            return model

        return Recipe(build_model, batches("train"), batches("validation"), loss="mse")

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        inputs, targets = sequences(config, split)
        model = training.load_trained(run_dir)
        mse = float(np.mean((model.predict(inputs, verbose=0) - targets) ** 2))
        metrics = {"mse": mse, "split": split}
        atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
        return metrics

    def export(self, config, run_dir, directory):
        model = training.load_trained(run_dir)
        signature = tf.TensorSpec([None, None], tf.float32, name="history")
        serve = tf.function(lambda history: {"sum": model(history[..., None])[:, 0]},
                            input_signature=[signature])
        export_lib.write_archive(directory, [model], {"serving_default": serve})
        return {"model": "elman"}

    def predict_lines(self, config, run_dir, inputs):
        model = training.load_trained(run_dir)
        try:
            rows = [[float(v) for v in line.split()] for line in inputs]
        except ValueError:
            raise UsageError("input: expected numbers separated by spaces") from None
        return [f"{line}\t{float(model(np.asarray([row], 'float32')[..., None])[0, 0]):.3f}"
                for line, row in zip(inputs, rows, strict=True)]

    def search_space(self, hp, config):
        return {"model": {"units": hp.Choice("units", [2, 4], default=4)}}


@pytest.fixture(scope="module")
def toy():
    task = registry.register(SumTask())
    yield task
    registry.unregister(task.name)


@pytest.fixture(scope="module")
def trained(toy, tmp_path_factory):
    base = tmp_path_factory.mktemp("toy")
    run_dir = str(base / "run")
    common_flags = ["--task", "toy_sum", "--preset", "smoke", "--run-dir", run_dir]
    assert prepare.main(common_flags) == 0
    assert train.main(common_flags) == 0
    return run_dir, common_flags, base


def test_the_registry_lists_a_registered_task(toy):
    assert "toy_sum" in registry.names() and registry.get("toy_sum") is toy
    assert {"g2p", "lm", "classify", "forecast", "synthetic"} <= set(registry.names())


def test_prepare_records_the_prepare_options_and_what_the_task_fitted(trained):
    run_dir, _, _ = trained
    with open(os.path.join(run_dir, "data", "prepared.json"), encoding="utf-8") as handle:
        prepared = json.load(handle)
    assert prepared["task"] == "toy_sum" and prepared["examples"] == 64
    assert prepared["sizes"] == {"train": 64, "validation": 16, "test": 16}
    assert "target_mean" in prepared


def test_evaluate_export_predict(trained, capsys):
    run_dir, flags, base = trained
    assert evaluate.main(flags) == 0
    assert "mse" in capsys.readouterr().out
    assert export.main([*flags, "--export-dir", str(base / "saved")]) == 0
    assert capsys.readouterr().out.startswith("exported ")
    served = tf.saved_model.load(str(base / "saved" / "toy_sum" / "1"))
    answer = served.signatures["serving_default"](history=tf.constant([[0.5, 0.25]]))
    assert answer["sum"].shape == (1,)
    assert predict.main([*flags, "0.5 0.25 0.125"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("0.5 0.25 0.125\t")


def test_a_later_stage_refuses_another_run_key_value(trained, capsys):
    _, flags, _ = trained
    assert run_cli(evaluate.main, [*flags, "--set", "toy.examples=32"]) == 2
    assert "was prepared with toy.examples=64" in capsys.readouterr().err


def test_a_two_trial_search(trained, tmp_path):
    _, _, _ = trained
    directory = str(tmp_path / "search")
    assert search.main(["--task", "toy_sum", "--tuner", "random", "--preset", "smoke",
                        "--dir", directory, "--max-trials", "2", "--quiet"]) == 0
    with open(os.path.join(directory, "summary.json"), encoding="utf-8") as handle:
        summary = json.load(handle)
    assert len(summary["trials"]) == 2


def test_an_unknown_task_names_the_flag():
    with pytest.raises(UsageError, match="--task nope: choose from"):
        registry.get("nope")


def test_a_missing_file_is_one_line_on_stderr(tmp_path):
    """TensorFlow's start-up lines do not reach the user
    (`pipeline.core.quiet`): the error is the only line on stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.train", "--task", "g2p", "--data", "missing.tsv",
         "--run-dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k not in ("RNNLAB_VERBOSE",
                                                                  "TF_CPP_MIN_LOG_LEVEL")})
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: missing.tsv: no such file"]
