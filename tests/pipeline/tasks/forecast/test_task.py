"""Forecast end to end at the smoke preset: run (prepare, train, evaluate
with the same-run ARIMA baseline, export), the export loaded where the
project cannot be imported (docs/architecture.md section 5), predict, and
the timing `pipeline.compare` asks for."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from pipeline import evaluate as evaluate_stage
from pipeline import run as run_stage
from pipeline.core import registry
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError
from pipeline.tasks.forecast import evaluation, intervals
from pipeline.tasks.forecast.config import COMPARE_METRICS, SERIES
from pipeline.tasks.forecast.predict import predict_values
from tests.pipeline.evaluate_split import evaluate_validation
from tests.pipeline.tasks.serving import serve_blocked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
TASK = registry.get("forecast")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}



@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    run_dir, export_dir = str(base / "run"), str(base / "saved")
    args = ["--task", "forecast", "--preset", "smoke", "--run-dir", run_dir,
            "--export-dir", export_dir]
    assert run_stage.main(args) == 0
    return run_dir, os.path.join(export_dir, "forecast", "1")


def read_json(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as handle:
        return json.load(handle)


def test_run_writes_metrics_against_the_same_run_baseline(smoke_run):
    run_dir, export = smoke_run
    metrics = read_json(run_dir, "metrics.json")
    window, horizon = SERIES["sunspots"]["window"], SERIES["sunspots"]["horizon"]
    assert (metrics["window"], metrics["horizon"]) == (window, horizon)
    assert metrics["windows"] == 30  # every test origin, targets inside test
    assert metrics["origins"] == [275, 304] and len(metrics["per_origin"]["mase"]) == 30
    assert metrics["rmse"] >= metrics["mae"] > 0 and metrics["mase"] > 0
    assert set(metrics["peers"]) == set(metrics["ratios"]) == {"SeasonalNaive", "ARIMA",
                                                                "AR(AIC)"}  # the smoke peers
    assert metrics["ratios"]["AR(AIC)"]["mase"] == pytest.approx(
        metrics["mase"] / metrics["peers"]["AR(AIC)"]["mase"])
    assert metrics["peer_info"]["ar_orders"] == [9]  # AIC picks AR(9) at every origin
    assert 0 <= metrics["coverage"] <= 1 and metrics["interval_level"] == 0.9
    assert metrics["rmse_ratio"] == pytest.approx(metrics["rmse"] / metrics["baseline_rmse"])
    assert metrics["baseline"]["model"] == "ARIMA(9,0,0) trend c"
    assert metrics["baseline_rmse"] < metrics["naive_rmse"]  # AR(9) beats persistence
    assert len(metrics["rmse_by_step"]) == horizon
    for plot in ("forecast.png", "error_by_step.png"):
        assert os.path.getsize(os.path.join(run_dir, "plots", plot)) > 0
    trained = read_json(run_dir, "config.json")  # the series' defaults written in
    assert trained["data"]["window"] == window and trained["model"]["level"] == "absolute"
    assert read_json(export, "assets.extra", "metadata.json")["metrics"]["rmse_ratio"] \
        == pytest.approx(metrics["rmse_ratio"])


def test_evaluate_validation_split_scores_the_validation_windows(smoke_run):
    run_dir, _ = smoke_run
    test_metrics = read_json(run_dir, "metrics.json")
    metrics = evaluate_validation("forecast", run_dir)
    horizon = SERIES["sunspots"]["horizon"]
    assert metrics["split"] == "validation" and metrics["windows"] == 30
    assert metrics["origins"] == [241, 270] and metrics["horizon"] == horizon
    assert metrics["baseline_rmse"] != test_metrics["baseline_rmse"]  # other years
    assert os.path.getsize(os.path.join(run_dir, "validation", "plots", "forecast.png")) > 0
    assert read_json(run_dir, "metrics.json") == test_metrics


def test_evaluate_rejects_an_unknown_split(smoke_run, capsys):
    with pytest.raises(SystemExit) as exit_info:
        evaluate_stage.main(["--task", "forecast", "--run-dir", smoke_run[0], "--split", "train"])
    assert exit_info.value.code == 2 and "--split" in capsys.readouterr().err


def test_export_signature_and_answers_without_the_project(smoke_run):
    run_dir, export = smoke_run
    series = np.load(os.path.join(run_dir, "data", "series.npy"))
    histories = [series[:30].tolist(), series[-30:].tolist()]  # T = 30 > window: the last 12 used
    served = serve_blocked(export, {"history": histories})
    horizon = SERIES["sunspots"]["horizon"]
    assert served["inputs"] == {"history": ["float32", [None, None]]}
    assert served["outputs"] == {name: ["float32", [None, horizon]]
                                 for name in ("forecast", "lower", "upper")}
    local = predict_values(resolve("forecast", "smoke"), run_dir, histories)
    (answer,) = served["answers"]
    np.testing.assert_allclose(answer["forecast"], local, rtol=1e-5, atol=1e-4)
    quantiles = read_json(run_dir, "metrics.json")["interval_quantiles"]  # the same calibration
    scales = intervals.window_scales([h[-SERIES["sunspots"]["window"]:] for h in histories])
    widths = scales[:, None] * np.asarray(quantiles)  # [2, H]
    np.testing.assert_allclose(np.subtract(answer["upper"], answer["forecast"]),
                               widths, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(np.subtract(answer["forecast"], answer["lower"]),
                               widths, rtol=1e-3, atol=1e-3)


def test_export_has_no_device_specific_ops(smoke_run):
    _, export = smoke_run
    graph = tf.saved_model.load(export).signatures["serving_default"].graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for fn in graph.library.function for node in fn.node_def}
    assert not [op for op in ops if "Cudnn" in op]


def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", *args], input=stdin, cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=300)


def test_predict_cli_reads_histories_from_stdin(smoke_run):
    run_dir, _ = smoke_run
    series = np.load(os.path.join(run_dir, "data", "series.npy"))
    lines = [",".join(f"{v:g}" for v in series[-12:]), " ".join(f"{v:g}" for v in series[:30])]
    result = run_cli("pipeline.predict", "--task", "forecast", "--preset", "smoke",
                     "--run-dir", run_dir, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [[float(v) for v in line.split("\t")] for line in result.stdout.strip().splitlines()]
    expected = predict_values(resolve("forecast", "smoke"), run_dir, [series[-12:], series[:30]])
    np.testing.assert_allclose(rows, expected, atol=1e-3)


def test_predict_bad_history_names_the_input(smoke_run):
    run_dir, _ = smoke_run
    config = resolve("forecast", "smoke")
    with pytest.raises(UsageError, match="input 2: needs at least 12"):
        TASK.predict_lines(config, run_dir, [",".join(["1"] * 12), "1,2,3"])
    with pytest.raises(UsageError, match="input 1: expected numbers"):
        TASK.predict_lines(config, run_dir, ["1,two,3"])
    for bad in ("nan", "inf", "1e400"):
        message = (f"input 1: value '{bad}' is not a finite number; "
                   "give a history of finite numbers only$")
        with pytest.raises(UsageError, match=message):
            TASK.predict_lines(config, run_dir, [" ".join(["1"] * 11 + [bad])])


def test_inference_batch_for_compare(smoke_run):
    run_dir, _ = smoke_run
    infer, count = evaluation.inference_batch(run_dir, count=20)
    assert tuple(infer().shape) == (count, SERIES["sunspots"]["horizon"]) == (20, 5)
    assert set(COMPARE_METRICS) <= set(read_json(run_dir, "metrics.json"))
