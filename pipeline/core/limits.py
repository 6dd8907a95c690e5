"""Limits of configuration values: the range or the choices of each key.

`pipeline.core.config.resolve` checks them once the defaults, the preset, a
`--config` file and the `--set` flags are merged, so a value no stage can
use stops every stage script, the tuner and the benchmarks with one line
naming the flag, before any data is read or any model is built:

    error: --set model.units=0: expected 1 or more

`shared()` holds the keys that several tasks share with one meaning in all
of them; a task module's `LIMITS` adds its own keys and overrides shared ones
(`limits_of`). A key a task lacks is skipped. Checks that involve two keys
stay with the task (e.g. `pipeline.tasks.g2p.check_config`). Command-line
flags outside the configuration use the same limits through
`pipeline.core.cli.flag_type`.
"""

from collections.abc import Callable
from typing import NamedTuple

from pipeline.core.errors import UsageError


class Limit(NamedTuple):
    """What values a key takes: `accepts(value)` decides, `expected` says
    it in the error message."""

    accepts: Callable[[object], bool]
    expected: str


def at_least(low):
    return Limit(lambda value: value >= low, f"{low} or more")


def above(low):
    return Limit(lambda value: value > low, f"a value above {low}")


def fraction(closed=False):
    """A value in [0, 1), or [0, 1] when `closed`."""
    if closed:
        return Limit(lambda value: 0 <= value <= 1, "a value in [0, 1]")
    return Limit(lambda value: 0 <= value < 1, "a value in [0, 1)")


def one_of(*choices):
    names = ('""' if choice == "" else str(choice) for choice in choices)  # "" = a default
    return Limit(lambda value: value in choices, "one of " + ", ".join(names))


def cells(*others):
    """A `models.cells.CELLS` name (or one of `others`)."""
    from models.cells import CELLS

    return one_of(*CELLS, *others)


def shared():
    """`{"section.key": Limit}` of the keys several tasks share."""
    from pipeline.core.training import STRATEGIES

    return {
        "data.batch_size": at_least(1),
        "data.max_train": at_least(0),  # 0: all
        "data.max_eval": at_least(0),
        "model.cell": cells(),
        "model.embedding_dim": at_least(1),
        "model.units": at_least(1),
        "model.layers": at_least(1),
        "model.num_layers": at_least(1),
        "model.encoder_layers": at_least(1),
        "model.heads": at_least(1),
        "model.intermediate_dim": at_least(1),
        "model.attention_units": at_least(0),  # 0: the task's default width
        "model.dropout": fraction(),
        "model.recurrent_dropout": fraction(),
        "train.epochs": at_least(1),
        "train.learning_rate": above(0),
        "train.schedule": one_of("constant", "cosine"),
        "train.clipnorm": at_least(0),  # 0: no clipping
        "train.patience": at_least(0),
        "train.strategy": one_of(*STRATEGIES),
    }


def limits_of(module):
    """The limits of a task: `shared()` updated by the module's `LIMITS`."""
    return {**shared(), **getattr(module, "LIMITS", {})}


def check(config, limits):
    """Raises a UsageError naming the first key of `config` (a resolved
    configuration, `{section: {key: value}}`) whose value `limits` refuse."""
    for name, limit in limits.items():
        section, key = name.split(".")
        if key not in config.get(section, {}):
            continue
        value = config[section][key]
        try:
            accepted = limit.accepts(value)
        except TypeError:  # a --config file's value of another type
            accepted = False
        if not accepted:
            raise UsageError(f"--set {name}={value}: expected {limit.expected}")
