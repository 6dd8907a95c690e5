"""What the tuning tests share besides fixtures."""

import keras_tuner

#: Hyperparameters held cheap in the tests that train (the rest stay searched).
CHEAP = {"encoder": "recurrent", "cell": "gru", "units": 16, "encoder_layers": 1,
         "bidirectional": False, "attention": "luong", "window": "global"}


def fix_flags(values):
    """`--fix name=value` flags of `tuning.search` for `values`."""
    flags = []
    for name, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        flags += ["--fix", f"{name}={text}"]
    return flags


def fixed(values):
    """`keras_tuner.HyperParameters` holding each of `values` as `hp.Fixed`."""
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


def section_of(config, name):
    """The configuration section (model, train or data) holding `name`."""
    return next(s for s in ("model", "train", "data") if name in config[s])
