"""The forecast task's search space (`pipeline.tasks.forecast.search`)
through the one `tuning.hypermodel.TaskHyperModel`: its hyperparameters,
its objective, and a trial's model built with fixed values on the prepared
series."""

import keras_tuner
import pytest

from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from tuning.hypermodel import TaskHyperModel

NAMES = {"cell", "units", "layers", "dropout", "learning_rate", "clipnorm", "batch_size"}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("run"))
    rundir.ensure_prepared(registry.get("forecast"), resolve("forecast", "smoke"), run_dir,
                           data_dir=str(tmp_path_factory.mktemp("tfds")))
    return run_dir


def hypermodel(run_dir):
    return TaskHyperModel(registry.get("forecast"), resolve("forecast", "smoke"), run_dir)


def test_space_and_objective(tmp_path):
    model = hypermodel(str(tmp_path))
    hp = keras_tuner.HyperParameters()
    model.config(hp)
    assert {param.name for param in hp.space} == NAMES
    assert (model.objective.name, model.objective.direction) == ("val_rmse", "min")


def test_build_uses_the_fixed_values_and_the_series_window(prepared):
    hp = keras_tuner.HyperParameters()
    for name, value in {"cell": "gru", "units": 8, "layers": 2, "clipnorm": 0.5}.items():
        hp.Fixed(name, value)
    model = hypermodel(prepared).build(hp)
    got = model.get_config()
    assert (got["cell"], got["units"], got["layers"], got["horizon"]) == ("gru", 8, 2, 5)
    assert got["linear_window"] == 9  # the sunspots' default, resolved
    assert model.optimizer.clipnorm == 0.5
