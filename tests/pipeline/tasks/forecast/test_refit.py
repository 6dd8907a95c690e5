"""The network refitted once before the test block (`refit.py`): on the
training and validation segments only, for the epochs the train stage
kept, shared by evaluate, export and predict, and redone for a retrained
run; the validation block and the interval calibration keep the train
stage's network."""

import json
import os

import numpy as np
import pytest

from pipeline import run as run_stage
from pipeline.core import rundir
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError
from pipeline.tasks.forecast import data as series_data
from pipeline.tasks.forecast import refit
from pipeline.tasks.forecast.config import SERIES
from pipeline.tasks.forecast.predict import predict_values
from pipeline.tasks.forecast.server import load_served, load_trained
from tests.pipeline.evaluate_split import evaluate_validation


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("refit")
    run_dir = str(base / "run")
    args = ["--task", "forecast", "--preset", "smoke", "--run-dir", run_dir,
            "--export-dir", str(base / "saved")]
    assert run_stage.main(args) == 0
    return run_dir, str(base / "saved" / "forecast" / "1")


def test_the_refit_windows_end_before_the_test_block(smoke_run):
    """Every target of the refit lies in the training or validation
    segment; every window whose targets do is there (sunspots, 309 values:
    the test block begins at 275, its first origin)."""
    run_dir, _ = smoke_run
    series, prepared = series_data.load_prepared(run_dir)
    config = json.load(open(os.path.join(run_dir, "config.json"), encoding="utf-8"))
    histories, targets = refit.expanding_windows(config, series, prepared)
    window, horizon = SERIES["sunspots"]["window"], SERIES["sunspots"]["horizon"]
    _, stop = prepared["bounds"]["validation"]
    assert stop == 275
    assert len(targets) == stop - window - horizon + 1  # origins window .. stop - horizon
    normalised = series_data.normalise(series, prepared)
    np.testing.assert_allclose(targets[-1], normalised[stop - horizon:stop])
    np.testing.assert_allclose(histories[0], normalised[:window])


def test_evaluate_scores_the_test_block_with_the_refit(smoke_run):
    run_dir, _ = smoke_run
    metrics = rundir.read_json(run_dir, "metrics.json")
    history = rundir.read_json(run_dir, "train_history.json")
    assert metrics["refit"]["epochs"] == int(np.argmin(history["val_loss"])) + 1
    assert metrics["refit"]["model"] == rundir.model_digest(run_dir)
    config = resolve("forecast", "smoke")
    trained, series, prepared = load_trained(run_dir)
    served, _, _ = load_served(run_dir, config)
    histories, _, _ = series_data.split_windows(series, prepared, "test", trained.window,
                                                trained.model.horizon)
    refitted = served(histories).numpy()
    assert not np.allclose(refitted, trained(histories).numpy())  # other weights
    stored = rundir.read_json(run_dir, "forecasts.json")["forecasts"]["network"]
    np.testing.assert_allclose(stored, refitted, rtol=1e-5, atol=1e-4)
    validation = evaluate_validation("forecast", run_dir)
    assert validation["refit"] is None  # the train stage's network


def test_export_and_predict_serve_the_refit(smoke_run):
    run_dir, export = smoke_run
    metadata = rundir.read_json(export, "assets.extra", "metadata.json")
    assert metadata["refit"]["model"] == rundir.model_digest(run_dir)
    series = np.load(os.path.join(run_dir, "data", "series.npy"))
    history = [series[-12:].tolist()]
    served, _, _ = load_served(run_dir, resolve("forecast", "smoke"))
    np.testing.assert_allclose(predict_values(resolve("forecast", "smoke"), run_dir, history),
                               served(np.asarray(history, "float32")).numpy())
    alone = resolve("forecast", "smoke", sets=["evaluate.refit=none"])
    trained, _, _ = load_trained(run_dir)
    np.testing.assert_allclose(predict_values(alone, run_dir, history),
                               trained(np.asarray(history, "float32")).numpy())


def test_the_refit_is_reused_and_redone_after_retraining(smoke_run, tmp_path, monkeypatch):
    run_dir, _ = smoke_run
    config = resolve("forecast", "smoke")
    monkeypatch.setattr(refit, "fit", lambda *args: pytest.fail("refitted again"))
    refit.refitted(config, run_dir)  # the saved one
    copy = tmp_path / "copy"
    for name in ("data", "refit"):
        os.makedirs(copy / name)
        for file in os.listdir(os.path.join(run_dir, name)):
            with open(os.path.join(run_dir, name, file), "rb") as source:
                (copy / name / file).write_bytes(source.read())
    for file in ("config.json", "train_history.json"):
        with open(os.path.join(run_dir, file), "rb") as source:
            (copy / file).write_bytes(source.read())
    (copy / "model.keras").write_bytes(b"another model")  # a retrained run
    assert refit.tag(str(copy)) is None and refit.saved(str(copy)) is None


def test_best_epochs_and_a_run_without_history(tmp_path):
    (tmp_path / "train_history.json").write_text(json.dumps({"val_loss": [3, 1, 2, 1.5]}))
    assert refit.best_epochs(str(tmp_path)) == 2
    with pytest.raises(UsageError, match="evaluate.refit=none"):
        refit.best_epochs(str(tmp_path / "nowhere"))
