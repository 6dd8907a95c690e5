"""The synthetic task at the smoke preset: `pipeline.run` end to end (no
export), the metrics against the memoryless baseline, the diagnostics, the
length-generalisation option, predict, and the configuration flags."""

import json
import os

import numpy as np
import pytest

from pipeline import export as export_stage
from pipeline import run as run_stage
from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError, run_cli
from pipeline.tasks.synthetic import config as synthetic_config
from pipeline.tasks.synthetic import evaluation, predict
from pipeline.tasks.synthetic import model as synthetic_model
from tests.pipeline.evaluate_split import evaluate_validation


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tfds"))


@pytest.fixture(scope="module")
def adding_run(data_dir, tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    run_dir, export_dir = str(base / "run"), str(base / "saved")
    args = ["--task", "synthetic", "--preset", "smoke", "--data-dir", data_dir,
            "--run-dir", run_dir, "--export-dir", export_dir, "--set", "model.cell=elman"]
    assert run_stage.main(args) == 0
    return run_dir, export_dir


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_evaluate_validation_split(adding_run, data_dir):
    run_dir, _ = adding_run
    test_metrics = read_json(os.path.join(run_dir, "metrics.json"))
    metrics = evaluate_validation("synthetic", run_dir, "--data-dir", data_dir,
                                  "--set", "model.cell=elman")
    assert metrics["split"] == "validation" and metrics["mse"] != test_metrics["mse"]
    assert os.path.exists(os.path.join(run_dir, "validation", "diagnostics.json"))
    assert os.path.exists(os.path.join(run_dir, "validation", "plots", "gradient_norms.png"))
    assert read_json(os.path.join(run_dir, "metrics.json")) == test_metrics


def test_run_writes_metrics_and_diagnostics_and_skips_the_export(adding_run):
    run_dir, export_dir = adding_run
    metrics = read_json(os.path.join(run_dir, "metrics.json"))
    assert metrics["problem"] == "adding" and metrics["length"] == 10
    assert metrics["examples"] == 64
    assert 0.05 < metrics["baseline_mse"] < 0.4  # Var(X1 + X2) = 1/6 on 64 examples
    assert metrics["error_ratio"] == pytest.approx(metrics["mse"] / metrics["baseline_mse"])
    assert set(metrics["sigma_max"]) == {"W"}
    report = read_json(os.path.join(run_dir, "diagnostics.json"))
    assert len(report["trained"]["gradient_norms"]["h"]) == 10
    assert metrics["gradient_norm_first"] == report["trained"]["gradient_norms"]["h"][0]
    assert os.path.exists(os.path.join(run_dir, "plots", "gradient_norms.png"))
    assert not os.path.exists(os.path.join(export_dir, "synthetic"))


def test_compare_hooks(adding_run, data_dir):
    run_dir, _ = adding_run
    metrics = read_json(os.path.join(run_dir, "metrics.json"))
    assert all(key in metrics for key in synthetic_config.COMPARE_METRICS)
    assert metrics["error"] == metrics["mse"]
    config = resolve("synthetic", "smoke", sets=["model.cell=elman"])
    infer, count = evaluation.inference_batch(config, run_dir, data_dir=data_dir, count=70)
    assert count == 70 and tuple(infer().shape) == (70, 1)


def test_export_stage_says_there_is_no_export(adding_run, capsys):
    run_dir, export_dir = adding_run
    args = ["--task", "synthetic", "--preset", "smoke", "--run-dir", run_dir,
            "--export-dir", export_dir]
    assert run_cli(export_stage.main, args) == 2
    assert "no serving export" in capsys.readouterr().err
    assert registry.get("synthetic").exportable is False


def test_predict_lines_and_bad_input(adding_run):
    run_dir, _ = adding_run
    config = resolve("synthetic", "smoke", sets=["model.cell=elman"])
    (line,) = predict.predict_lines(config, run_dir, ["0.5:1 0.2:0 0.25:1"])
    text, answer = line.split("\t")
    assert text == "0.5:1 0.2:0 0.25:1" and np.isfinite(float(answer))
    for bad in ("0.5 0.2", "", "0.3:0 0.7:2", "nan:1 0.2:1", "0.1:1 inf:0"):
        with pytest.raises(UsageError, match="value:marker"):
            predict.predict_lines(config, run_dir, [bad])


def test_parity_transformer_with_length_generalisation(data_dir, tmp_path):
    config = resolve("synthetic", "smoke", sets=[
        "synthetic.problem=parity", "synthetic.length=10", "synthetic.test_length=14",
        "model.cell=transformer"])
    run_dir = str(tmp_path / "run")
    registry.get("synthetic").train(config, run_dir, data_dir=data_dir)
    metrics = evaluation.evaluate(config, run_dir, data_dir=data_dir)
    assert 0.0 <= metrics["accuracy"] <= 1.0 and len(metrics["accuracy_by_step"]) == 10
    longer = metrics["test_length_14"]
    assert len(longer["accuracy_by_step"]) == 14 and longer["examples"] == 64
    assert metrics["accuracy_at_14"] == longer["accuracy"]
    assert 0.3 < longer["baseline_accuracy"] < 0.75  # per-step majority of fair parity bits
    assert "gradient_norm_first" not in metrics  # no recurrent state to diagnose
    assert os.path.exists(os.path.join(run_dir, "plots", "accuracy_by_step.png"))
    (line,) = predict.predict_lines(config, run_dir, ["0110"])
    assert line.split("\t")[0] == "0110" and set(line.split("\t")[1]) <= {"0", "1"}
    assert len(line.split("\t")[1]) == 4


def test_score_against_the_memoryless_baseline():
    from pipeline.tasks.synthetic.dataset import adding_problem, copy_task

    _, targets = adding_problem(20000, 20, seed=5)
    result = evaluation.score("adding", np.full_like(targets, 1.0), targets)
    assert result["baseline_mse"] == pytest.approx(1 / 6, rel=0.03)
    assert result["error_ratio"] == pytest.approx(1.0, rel=0.01)

    inputs, targets = copy_task(400, 5, seed=6)
    assert inputs.max() + 1 == synthetic_config.PROBLEMS["copy"]["input_vocabulary"]
    assert targets.max() + 1 == synthetic_config.PROBLEMS["copy"]["output_size"]
    perfect = np.eye(9)[targets]  # [N, T, 9] one-hot "logits"
    result = evaluation.score("copy", perfect, targets)
    assert result["accuracy"] == result["recall_accuracy"] == 1.0
    assert result["error_ratio"] == 0.0
    assert 0.1 < result["baseline_recall_accuracy"] < 0.2  # chance over 8 symbols
    steps = targets.shape[1]
    expected = (steps - 10 + 10 * result["baseline_recall_accuracy"]) / steps
    assert result["baseline_accuracy"] == pytest.approx(expected)


def test_configuration_flags():
    config = resolve("synthetic", "quick", sets=["synthetic.problem=parity",
                                                 "synthetic.length=100", "model.cell=gru",
                                                 "train.clipnorm=0", "train.flow_weight=2"])
    assert rundir.prepare_options(registry.get("synthetic"), config) == {
        "synthetic.problem": "parity", "synthetic.length": 100}
    model = synthetic_model.build_model(config)
    assert model.cell_name == "gru" and model.flow_weight == 2.0 and model.many_to_many
    for sets, flag in ((["model.cell=nope"], "model.cell"),
                       (["synthetic.problem=sort"], "synthetic.problem"),
                       (["model.cell=transformer", "train.flow_weight=1"], "flow_weight")):
        with pytest.raises(UsageError, match=flag):
            synthetic_model.check_config(resolve("synthetic", "smoke", sets=sets))
    assert set(synthetic_config.VARIANTS) >= {"elman", "lstm", "gru", "transformer"}


@pytest.mark.parametrize(("stage", "sets", "message"), [
    ("predict", ["--set", "synthetic.problem=parity"],
     "--set synthetic.problem=parity: {run} was prepared with synthetic.problem=adding; "
     "pass that or use another --run-dir"),
    ("evaluate", ["--set", "synthetic.length=20"],
     "--set synthetic.length=20: {run} was prepared with synthetic.length={length}; "
     "pass that or use another --run-dir"),
    ("train", ["--set", "synthetic.problem=copy"],
     "--set synthetic.problem=copy: {run} was prepared with synthetic.problem=adding; "
     "pass that or use another --run-dir"),
])
def test_a_stage_refuses_a_run_made_another_way(adding_run, data_dir, stage, sets, message,
                                                capsys):
    """Before: a parity predict on an adding run crashed in TensorFlow, a copy
    predict on a parity run printed tags, and train retrained another problem
    over data prepared for adding."""
    import importlib

    run_dir, _ = adding_run
    before = {name: os.path.getmtime(os.path.join(run_dir, name)) for name in os.listdir(run_dir)}
    args = ["--task", "synthetic", "--preset", "smoke", "--data-dir", data_dir,
            "--run-dir", run_dir, "--set", "model.cell=elman", *sets]
    main = importlib.import_module(f"pipeline.{stage}").main
    assert run_cli(main, args + (["0110"] if stage == "predict" else [])) == 2
    length = resolve("synthetic", "smoke")["synthetic"]["length"]
    assert capsys.readouterr().err.strip() == "error: " + message.format(run=run_dir,
                                                                         length=length)
    after = {name: os.path.getmtime(os.path.join(run_dir, name)) for name in os.listdir(run_dir)}
    assert after == before


def test_another_tasks_stage_refuses_the_run(adding_run, capsys):
    run_dir, _ = adding_run
    from pipeline import predict

    assert run_cli(predict.main, ["--task", "forecast", "--run-dir", run_dir, "1 2 3"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --task forecast: {run_dir} holds a synthetic run; "
        "pass --task synthetic or another --run-dir")
