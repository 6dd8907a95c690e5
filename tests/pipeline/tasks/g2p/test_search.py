"""The G2P task's search space (`pipeline.tasks.g2p.search`) through the
generic `tuning.hypermodel.TaskHyperModel`: the default space, `hp.Fixed`
overrides reaching the configuration and the built model, conditional
hyperparameters only where they apply, and the objective (validation WER)."""

import keras_tuner
import pytest

from models.cells import CELLS
from pipeline.core import registry
from pipeline.core.config import resolve
from tests.tuning.common import fixed, section_of
from tuning.hypermodel import TaskHyperModel

G2P_NAMES = {"encoder", "cell", "units", "encoder_layers", "dropout", "bidirectional",
             "residual", "heads", "attention", "score", "attention_units", "window",
             "window_size", "learning_rate", "clipnorm", "batch_size", "scheduled_sampling"}

#: One non-default value per G2P hyperparameter, with what it needs active.
G2P_OVERRIDES = [
    ({"cell": "peephole_lstm"}, ("model", "cell")),
    ({"units": 64}, ("model", "units")),
    ({"encoder_layers": 2}, ("model", "encoder_layers")),
    ({"dropout": 0.3}, ("model", "dropout")),
    ({"bidirectional": False}, ("model", "bidirectional")),
    ({"residual": False}, ("model", "residual")),
    ({"encoder": "transformer", "heads": 2}, ("model", "heads")),
    ({"attention": "bahdanau"}, ("model", "attention")),
    ({"score": "dot"}, ("model", "score")),
    ({"score": "concat", "attention_units": 64}, ("model", "attention_units")),
    ({"window": "local-p", "window_size": 5}, ("model", "window_size")),
    ({"learning_rate": 3e-4}, ("train", "learning_rate")),
    ({"clipnorm": 5.0}, ("train", "clipnorm")),
    ({"batch_size": 16}, ("data", "batch_size")),
    ({"scheduled_sampling": 0.25}, ("train", "scheduled_sampling")),
]


@pytest.fixture(scope="module")
def hypermodel(tmp_path_factory):
    return TaskHyperModel(registry.get("g2p"), resolve("g2p", "smoke"),
                          str(tmp_path_factory.mktemp("unused")))


def test_g2p_default_space(hypermodel):
    hp = keras_tuner.HyperParameters()
    hypermodel.config(hp)
    assert {p.name for p in hp.space} == G2P_NAMES
    assert hp.space[[p.name for p in hp.space].index("cell")].values == list(CELLS)
    # Defaults: a recurrent encoder and global Luong attention with the
    # general score, so no heads, window width or concat width are active.
    assert set(hp.values) == G2P_NAMES - {"heads", "window_size", "attention_units"}
    assert hypermodel.objective.name == "val_wer" and hypermodel.objective.direction == "min"


@pytest.mark.parametrize(("values", "key"), G2P_OVERRIDES,
                         ids=[next(reversed(v)) for v, _ in G2P_OVERRIDES])
def test_g2p_fixed_override_reaches_the_configuration(hypermodel, values, key):
    config = hypermodel.config(fixed(values))
    section, name = key
    assert config[section][name] == values[name]
    changed = {(s, k) for s in ("model", "train", "data") for k in config[s]
               if config[s][k] != hypermodel.base_config[s][k]}
    assert changed == {(section_of(config, n), n) for n in values}


@pytest.mark.parametrize(("values", "inactive", "active"), [
    ({"attention": "bahdanau"}, {"score", "attention_units", "window", "window_size"}, set()),
    ({"attention": "none"}, {"score", "attention_units", "window", "window_size"}, set()),
    ({"score": "concat"}, set(), {"attention_units"}),
    ({"window": "local-m"}, set(), {"window_size"}),
    ({"encoder": "transformer"}, {"bidirectional", "residual"}, {"heads"}),
])
def test_g2p_conditional_hyperparameters(hypermodel, values, inactive, active):
    hp = fixed(values)
    hypermodel.config(hp)
    assert not inactive & set(hp.values)
    assert active <= set(hp.values)


def test_g2p_conditional_defaults_are_valid(hypermodel):
    config = hypermodel.config(fixed({"window": "local-p", "score": "concat"}))
    assert config["model"]["window_size"] == 3
    assert config["model"]["attention_units"] == config["model"]["units"]


def test_g2p_build_uses_the_fixed_values(prepared, lexicon):
    """The built model is the task's `Seq2Seq` with the fixed values, compiled
    with the fixed learning rate and clipping."""
    model_hp = fixed({"cell": "minimal_gru", "window": "local-p", "window_size": 2,
                      "units": 32, "learning_rate": 3e-4, "clipnorm": 0.5})
    hypermodel = TaskHyperModel(registry.get("g2p"), resolve("g2p", "smoke"), prepared,
                                data=lexicon)
    model = hypermodel.build(model_hp)
    got = model.get_config()
    assert (got["cell"], got["window"], got["window_size"], got["units"]) == \
        ("minimal_gru", "local-p", 2, 32)
    assert model.optimizer.clipnorm == 0.5
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-4)


def test_declaring_builds_nothing(hypermodel):
    with hypermodel.declaring_only():
        assert hypermodel.build(keras_tuner.HyperParameters()) is None
