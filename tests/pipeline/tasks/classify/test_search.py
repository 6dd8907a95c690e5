"""The classify task's search space (`pipeline.tasks.classify.search`)
through the generic `tuning.hypermodel.TaskHyperModel`: its names and
defaults, the objective, the attention width active only with attention
pooling, and `hp.Fixed` values reaching the configuration."""

import keras_tuner
import pytest

from models.cells import CELLS
from models.classifier import POOLINGS
from pipeline.core import registry
from pipeline.core.config import resolve
from tuning.hypermodel import TaskHyperModel

NAMES = {"cell", "units", "num_layers", "bidirectional", "dropout", "pooling",
         "attention_units", "learning_rate", "clipnorm", "batch_size", "ngram_order"}


@pytest.fixture(scope="module")
def hypermodel(tmp_path_factory):
    return TaskHyperModel(registry.get("classify"), resolve("classify", "smoke"),
                          str(tmp_path_factory.mktemp("unused")))


def fixed(values):
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


def test_default_space_and_objective(hypermodel):
    hp = keras_tuner.HyperParameters()
    assert hypermodel.config(hp) == hypermodel.base_config
    assert {p.name for p in hp.space} == NAMES
    by_name = {p.name: p for p in hp.space}
    assert by_name["cell"].values == list(CELLS)
    assert by_name["pooling"].values == list(POOLINGS)
    assert hypermodel.objective.name == "val_accuracy"
    assert hypermodel.objective.direction == "max"


def test_attention_width_only_with_attention_pooling(hypermodel):
    hp = fixed({"pooling": "last"})
    hypermodel.config(hp)
    assert "attention_units" not in hp.values
    config = hypermodel.config(fixed({"pooling": "attention", "attention_units": 32}))
    assert config["model"]["attention_units"] == 32


@pytest.mark.parametrize(("name", "value", "section"), [
    ("cell", "gru", "model"), ("units", 128, "model"), ("num_layers", 2, "model"),
    ("bidirectional", False, "model"), ("learning_rate", 3e-3, "train"),
    ("clipnorm", 5.0, "train"), ("batch_size", 64, "data"), ("ngram_order", 5, "model"),
])
def test_a_fixed_value_reaches_the_configuration(hypermodel, name, value, section):
    config = hypermodel.config(fixed({name: value}))
    assert config[section][name] == value
    changed = {(s, k) for s in ("model", "train", "data") for k in config[s]
               if config[s][k] != hypermodel.base_config[s][k]}
    assert changed == {(section, name)}
