"""The LM task's search space (`pipeline.tasks.lm.search`) through the generic
`tuning.hypermodel.TaskHyperModel`: the default point is the configuration,
the objective is the validation bits per character, and a trial's recipe
trains what the train stage trains."""

import keras
import keras_tuner
import pytest

from models.cells import CELLS
from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from pipeline.tasks.lm.model import ResetCarriedState, bits_per_character
from tuning.hypermodel import TaskHyperModel

LM_NAMES = {"cell", "units", "layers", "dropout", "recurrent_dropout", "learning_rate",
            "clipnorm", "batch_size", "sequence_length"}


def hypermodel(config, run_dir):
    return TaskHyperModel(registry.get("lm"), config, str(run_dir))


def fixed(values):
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A run directory prepared from 60,000 characters of a user file."""
    path = tmp_path_factory.mktemp("data") / "text.txt"
    path.write_text("".join(f"line {i} of the text, with words.\n" for i in range(1800)),
                    encoding="utf-8")
    run_dir = tmp_path_factory.mktemp("run")
    rundir.prepare(registry.get("lm"), str(run_dir), resolve("lm", "smoke"), data=str(path))
    return str(run_dir), str(path)


def test_lm_default_space(tmp_path):
    config = resolve("lm", "smoke")
    model = hypermodel(config, tmp_path)
    hp = keras_tuner.HyperParameters()
    assert model.config(hp) == config
    assert {param.name for param in hp.space} == LM_NAMES
    assert hp.space[0].name == "cell" and list(hp.space[0].values) == list(CELLS)
    assert (model.objective.name, model.objective.direction) == ("val_bits_per_character",
                                                                 "min")


def test_lm_fixed_values_reach_the_configuration(tmp_path):
    model = hypermodel(resolve("lm", "smoke"), tmp_path)
    config = model.config(fixed({"cell": "gru", "sequence_length": 64, "batch_size": 16,
                                 "layers": 2}))
    assert config["model"]["cell"] == "gru" and config["model"]["layers"] == 2
    assert config["data"]["sequence_length"] == 64 and config["data"]["batch_size"] == 16


def test_lm_recipe_carries_the_state_and_reports_bits(prepared):
    run_dir, text_file = prepared
    model = TaskHyperModel(registry.get("lm"), resolve("lm", "smoke"), run_dir, data=text_file)
    recipe = model.recipe(model.config(fixed({"batch_size": 16, "sequence_length": 32})))
    inputs, targets = next(iter(recipe.train_batches))
    assert inputs.shape == targets.shape == (16, 32)
    assert recipe.metrics == [bits_per_character]
    kinds = [type(callback) for callback in recipe.callbacks]
    assert kinds == [ResetCarriedState, keras.callbacks.ReduceLROnPlateau]
    assert recipe.total_steps is None


def test_lm_cosine_recipe_counts_its_steps(prepared):
    run_dir, text_file = prepared
    config = resolve("lm", "smoke", sets=["train.schedule=cosine", "train.epochs=3"])
    recipe = registry.get("lm").recipe(config, run_dir, data=text_file)
    assert recipe.total_steps == 3 * int(recipe.train_batches.cardinality()) > 0
    assert [type(callback) for callback in recipe.callbacks] == [ResetCarriedState]


def test_lm_too_short_a_split_fails_the_trial(prepared):
    run_dir, text_file = prepared
    model = TaskHyperModel(registry.get("lm"), resolve("lm", "smoke"), run_dir, data=text_file)
    with pytest.raises(keras_tuner.errors.FailedTrialError, match="data.batch_size=128"):
        model.recipe(model.config(fixed({"batch_size": 128, "sequence_length": 256})))
