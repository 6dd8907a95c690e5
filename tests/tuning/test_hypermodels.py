"""Every task's HyperModel: the default space is the task's configuration,
`hp.Fixed` overrides reach the configuration and the built model, and
conditional hyperparameters appear only where they apply."""

import keras_tuner
import pytest

from models.cells import CELLS
from pipeline.core import registry
from pipeline.core.config import resolve
from tuning.hypermodels.g2p import G2PHyperModel
from tuning.search import hypermodel_of

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


def fixed(values):
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


def section_of(config, name):
    return next(s for s in ("model", "train", "data") if name in config[s])


@pytest.fixture(scope="module")
def hypermodel(tmp_path_factory):
    return G2PHyperModel(resolve("g2p", "smoke"), str(tmp_path_factory.mktemp("unused")))


@pytest.mark.parametrize("task", registry.names())
def test_every_default_is_the_configuration(task, tmp_path):
    """The default point of each task's space is the configuration the
    stages run: every hyperparameter has an explicit default equal to the
    configuration value it sets (window D: a valid width where the
    configuration has none, and the concat score's width when it has none)."""
    config = resolve(task, "smoke")
    model = hypermodel_of(registry.get(task), config, str(tmp_path))
    hp = keras_tuner.HyperParameters()
    assert model.config(hp) == config
    for param in hp.space:
        value = config[section_of(config, param.name)][param.name]
        if value or param.name not in ("window_size", "attention_units"):
            assert param.default == value, param.name


def other_value(param):
    """A value of `param` other than its default."""
    from keras_tuner.engine import hyperparameters as hps

    if isinstance(param, hps.Boolean):
        return not param.default
    if isinstance(param, hps.Choice):
        return next(v for v in param.values if v != param.default)
    return param.max_value if param.default != param.max_value else param.min_value


@pytest.mark.parametrize("task", registry.names())
def test_every_hyperparameter_can_be_fixed(task, tmp_path):
    """`hp.Fixed(name, value)` (with the values its conditions need) sets the
    configuration key of the same name, and only what those values set."""
    config = resolve(task, "smoke")
    model = hypermodel_of(registry.get(task), config, str(tmp_path))
    space = keras_tuner.HyperParameters()
    model.config(space)
    for param in space.space:
        values = {c.name: c.values[0] for c in param.conditions}
        values[param.name] = other_value(param)
        got = model.config(fixed(values))
        assert got[section_of(config, param.name)][param.name] == values[param.name], param.name
        for name in values:
            assert got[section_of(config, name)][name] == values[name]


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
    hypermodel = G2PHyperModel(resolve("g2p", "smoke"), prepared, data=lexicon)
    model = hypermodel.build(model_hp)
    got = model.get_config()
    assert (got["cell"], got["window"], got["window_size"], got["units"]) == \
        ("minimal_gru", "local-p", 2, 32)
    assert model.optimizer.clipnorm == 0.5
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-4)


def test_declaring_builds_nothing(hypermodel):
    with hypermodel.declaring_only():
        assert hypermodel.build(keras_tuner.HyperParameters()) is None


@pytest.mark.slow
@pytest.mark.parametrize("task", ["classify", "forecast", "lm", "synthetic"])
def test_a_trial_reports_the_objective(task, tmp_path):
    """One epoch of each task's default configuration on its embedded data
    (smoke preset), fitted as the tuner fits it, logs the objective."""
    import math

    from pipeline.core import rundir

    config = resolve(task, "smoke")
    rundir.ensure_prepared(registry.get(task), config, str(tmp_path))
    hypermodel = hypermodel_of(registry.get(task), config, str(tmp_path), verbose=0)
    hp = keras_tuner.HyperParameters()
    history = hypermodel.fit(hp, hypermodel.build(hp), epochs=1).history
    value = history[hypermodel.objective.name][0]
    assert math.isfinite(value)
