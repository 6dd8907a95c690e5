"""Every task's HyperModel: the default space is the task's configuration,
`hp.Fixed` overrides reach the configuration and the built model, and
conditional hyperparameters appear only where they apply."""

import keras_tuner
import pytest

from pipeline.core import registry
from pipeline.core.config import resolve
from tests.tuning.common import fixed, section_of
from tuning.search import hypermodel_of


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
