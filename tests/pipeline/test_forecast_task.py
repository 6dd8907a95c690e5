"""Forecast end to end at the smoke preset: run (prepare, train, evaluate
with the same-run ARIMA baseline, export), the export loaded where the
project cannot be imported (DESIGN section 5), predict; and the pieces the
run relies on: raw values through the in-graph normaliser, a baseline that
never sees the future, the series options of every stage."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from pipeline import arima_baseline
from pipeline import evaluate as evaluate_stage
from pipeline import run as run_stage
from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError
from pipeline.tasks import forecast
from tests.pipeline.evaluate_split import evaluate_validation

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

LOAD_BLOCKED = """
import json, sys
sys.modules["models"] = None      # the project cannot be imported
sys.modules["pipeline"] = None
import tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
spec = lambda v: [v.dtype.name, v.shape.as_list()]
inputs = {k: spec(v) for k, v in serve.structured_input_signature[1].items()}
outputs = {k: spec(v) for k, v in serve.structured_outputs.items()}
out = serve(history=tf.constant(json.loads(sys.argv[2]), tf.float32))
print(json.dumps({"inputs": inputs, "outputs": outputs,
                  "forecast": out["forecast"].numpy().tolist()}))
"""


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
    window, horizon = forecast.SERIES["sunspots"]["window"], forecast.SERIES["sunspots"]["horizon"]
    assert (metrics["window"], metrics["horizon"]) == (window, horizon)
    assert metrics["windows"] == 15 - horizon + 1  # every test origin, targets inside test
    assert metrics["rmse"] >= metrics["mae"] > 0
    assert metrics["rmse_ratio"] == pytest.approx(metrics["rmse"] / metrics["baseline_rmse"])
    assert metrics["baseline"]["model"] == "ARIMA(9,0,0) trend c"
    assert metrics["baseline_rmse"] < metrics["naive_rmse"]  # AR(9) beats persistence
    assert len(metrics["rmse_by_step"]) == horizon
    assert os.path.getsize(os.path.join(run_dir, "plots", "forecast.png")) > 0
    trained = read_json(run_dir, "config.json")  # the series' defaults written in
    assert trained["data"]["window"] == window and trained["model"]["level"] == "absolute"
    assert read_json(export, "assets.extra", "metadata.json")["metrics"]["rmse_ratio"] \
        == pytest.approx(metrics["rmse_ratio"])


def test_evaluate_validation_split_scores_the_validation_windows(smoke_run):
    run_dir, _ = smoke_run
    test_metrics = read_json(run_dir, "metrics.json")
    metrics = evaluate_validation("forecast", run_dir)
    horizon = forecast.SERIES["sunspots"]["horizon"]
    assert metrics["split"] == "validation" and metrics["windows"] == 15 - horizon + 1
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
    result = subprocess.run([sys.executable, "-c", LOAD_BLOCKED, export, json.dumps(histories)],
                            cwd="/", env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    horizon = forecast.SERIES["sunspots"]["horizon"]
    assert served["inputs"] == {"history": ["float32", [None, None]]}
    assert served["outputs"] == {"forecast": ["float32", [None, horizon]]}
    local = forecast.predict_values(run_dir, histories)
    np.testing.assert_allclose(served["forecast"], local, rtol=1e-5, atol=1e-4)


def test_export_has_no_device_specific_ops(smoke_run):
    _, export = smoke_run
    graph = tf.saved_model.load(export).signatures["serving_default"].graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for fn in graph.library.function for node in fn.node_def}
    assert not [op for op in ops if "Cudnn" in op]


def test_server_scales_raw_values_in_and_out():
    """A model that repeats its last (normalised) input must return the raw
    last value: the normaliser is applied on the way in and undone on the
    way out."""
    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, keras.layers.Lambda(
        lambda x: tf.repeat(x[:, -1:, 0], 3, axis=1))(inputs))
    server = forecast.ForecastServer(model, mean=100.0, std=7.0, window=4)
    history = np.array([[1, 2, 3, 4, 5, 160.5], [9, 9, 9, 9, 9, -3.25]], "float32")
    np.testing.assert_allclose(server(history), [[160.5] * 3, [-3.25] * 3], rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 4"):
        server(history[:, :3])


@pytest.mark.parametrize("harmonics", [0, 2])
def test_baseline_never_sees_the_origin_or_after(harmonics):
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.normal(size=90)) * 0.3 + np.sin(np.arange(90) / 2)
    arima = arima_baseline.Baseline(series[:70], (1, 1, 0), trend="t", period=12.5,
                                    harmonics=harmonics)
    origins = [70, 74, 80]
    before = arima.forecasts(series, origins, 4)
    for i, o in enumerate(origins):  # change everything from each origin on
        changed = series.copy()
        changed[o:] += 50.0
        np.testing.assert_allclose(arima.forecasts(changed, [o], 4)[0], before[i])
    # extending the filter origin by origin equals filtering each history anew
    for i, o in enumerate(origins):
        fresh = arima.results.apply(series[:o], exog=arima.exog(0, o))
        np.testing.assert_allclose(before[i], fresh.forecast(4, exog=arima.exog(o, o + 4)),
                                   rtol=1e-6)
    assert arima.info["train_values"] == 70 and arima.info["model"].startswith("ARIMA(1,1,0)")


def test_series_option_reaches_every_stage_and_its_defaults():
    config = resolve("forecast", "smoke", sets=["forecast.series=co2"])
    assert rundir.prepare_options(registry.get("forecast"), config) == {
        "forecast.series": "co2", "forecast.column": ""}
    co2 = forecast.settings(config, {"source": "statsmodels_series/co2"})
    assert (co2["window"], co2["horizon"], co2["level"]) == (104, 26, "last")
    assert (co2["period"], co2["harmonics"], co2["trend"]) == (pytest.approx(52.18, abs=0.01),
                                                               3, "t")
    mine = resolve("forecast", "smoke", sets=["data.window=7", "model.linear_window=0",
                                              "baseline.order=1,1,0"])
    s = forecast.settings(mine, {"source": "my.csv"})
    assert (s["window"], s["horizon"], s["linear_window"], s["order"]) == (7, 6, 0, (1, 1, 0))
    for bad in ("baseline.order=1,x", "baseline.trend=q", "baseline.harmonics=two",
                "model.linear_window=25", "model.level=up", "model.linear_init=zero",
                "data.horizon=-2"):
        with pytest.raises(UsageError, match=bad.split("=")[0]):
            forecast.settings(resolve("forecast", "smoke", sets=[bad]), {"source": "my.csv"})


def test_prepare_reads_a_csv_with_the_default_empty_column(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("t,y\n" + "".join(f"{i},{i % 7}\n" for i in range(60)), encoding="utf-8")
    config = resolve("forecast", "smoke")
    task_data, _ = rundir.prepare(registry.get("forecast"), str(tmp_path / "run"), config,
                                  data=str(path))
    assert task_data.series[:8].tolist() == [0, 1, 2, 3, 4, 5, 6, 0]  # the last column


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
    expected = forecast.predict_values(run_dir, [series[-12:], series[:30]])
    np.testing.assert_allclose(rows, expected, atol=1e-3)


def test_predict_bad_history_names_the_input(smoke_run):
    run_dir, _ = smoke_run
    config = resolve("forecast", "smoke")
    with pytest.raises(UsageError, match="input 2: needs at least 12"):
        forecast.predict_lines(config, run_dir, [",".join(["1"] * 12), "1,2,3"])
    with pytest.raises(UsageError, match="input 1: expected numbers"):
        forecast.predict_lines(config, run_dir, ["1,two,3"])
    for bad in ("nan", "inf", "1e400"):
        message = (f"input 1: value '{bad}' is not a finite number; "
                   "give a history of finite numbers only$")
        with pytest.raises(UsageError, match=message):
            forecast.predict_lines(config, run_dir, [" ".join(["1"] * 11 + [bad])])


def test_inference_batch_for_compare(smoke_run):
    run_dir, _ = smoke_run
    infer, count = forecast.inference_batch(resolve("forecast", "smoke"), run_dir, count=20)
    assert tuple(infer().shape) == (count, forecast.SERIES["sunspots"]["horizon"]) == (20, 5)
    assert set(forecast.COMPARE_METRICS) <= set(read_json(run_dir, "metrics.json"))
