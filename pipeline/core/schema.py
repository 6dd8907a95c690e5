"""The configuration schema: every key of a task declared once.

An `Option` states one key (`"section.key"`): its default, the values it
takes (a `Limit`), a one-line help, and its role in a run:

- `prepare=True`: the key chooses or shapes the prepared data (the prepare
  stage records it in `<run-dir>/data/prepared.json`);
- `run_key=True`: later stages must be given the value the run was made
  with (`pipeline.core.rundir.check_run` compares it with the record).

A task's `Schema` is the list of its options. The defaults of a run, the
checks of `--set`, `--config` and presets (`pipeline.core.config`), the
run-key checks, `--help` texts and `docs/configuration.md` (`python -m
pipeline.core.configuration_doc`) all derive from it. Keys that several tasks share
with one meaning (`data.batch_size`, `train.epochs`, ...) have their limit
and help in `COMMON` and take the task's default through `common()`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.core.errors import UsageError


@dataclass(frozen=True)
class Limit:
    """What values a key takes: `accepts(value)` decides, `expected` says it
    in the error message (a string, or a function returning one, so that
    naming the choices can wait until they are needed)."""

    accepts: Callable[[object], bool]
    expected_text: object

    @property
    def expected(self):
        text = self.expected_text
        return text() if callable(text) else text


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
    """A `models.cells.CELLS` name (or one of `others`); the cells are
    looked up when a value is checked, so declaring this loads no model code."""

    def names():
        from models.cells import CELLS

        return (*CELLS, *others)

    return Limit(lambda value: value in names(),
                 lambda: "one of " + ", ".join(names()))


#: `train.strategy` values (`pipeline.core.distribution.strategy`).
STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


@dataclass(frozen=True)
class Option:
    """One configuration key.

    Attributes:
        key: `"section.key"`.
        default: the value when nothing sets it; its type is the key's type.
        help: one line for `--help` and `docs/configuration.md`.
        limit: the values it takes (None: any value of its type).
        prepare: it chooses or shapes the prepared data.
        run_key: later stages must repeat the value the run was made with.
    """

    key: str
    default: object
    help: str
    limit: Limit | None = None
    prepare: bool = False
    run_key: bool = False

    @property
    def section(self):
        return self.key.partition(".")[0]

    @property
    def name(self):
        return self.key.partition(".")[2]


#: `(limit, help)` of the keys several tasks share with one meaning.
COMMON = {
    "data.batch_size": (at_least(1), "examples in a training batch"),
    "data.max_train": (at_least(0), "a seeded subset of the training split (0 = all)"),
    "data.max_eval": (at_least(0), "a seeded subset of the evaluated split (0 = all)"),
    "data.seed": (None, "seed of the shuffling and subsets of the data"),
    "model.cell": (cells(), "the recurrent cell, a name of models.cells.CELLS"),
    "model.embedding_dim": (at_least(1), "width of the token embedding"),
    "model.units": (at_least(1), "units of each recurrent layer"),
    "model.layers": (at_least(1), "stacked recurrent layers"),
    "model.num_layers": (at_least(1), "stacked recurrent layers"),
    "model.encoder_layers": (at_least(1), "stacked layers of the encoder"),
    "model.attention_units": (at_least(0), "width of the attention's scoring layer "
                                           "(0 = the task's default width)"),
    "model.heads": (at_least(1), "attention heads of a Transformer block"),
    "model.intermediate_dim": (at_least(1), "width of a Transformer block's feed-forward layer"),
    "model.dropout": (fraction(), "dropout rate on the recurrent layers' inputs"),
    "model.recurrent_dropout": (fraction(), "dropout rate on the recurrent state"),
    "train.epochs": (at_least(1), "passes over the training data (early stopping may end sooner)"),
    "train.max_steps_per_epoch": (at_least(0), "at most this many training batches an epoch, "
                                               "continuing through the data from epoch to "
                                               "epoch, and validation batches (0 = all)"),
    "train.learning_rate": (above(0), "Adam's learning rate"),
    "train.schedule": (one_of("constant", "cosine"),
                       "learning-rate schedule: constant, or a cosine to zero over the run"),
    "train.clipnorm": (at_least(0), "clip the gradient's global norm to this (0 = no clipping)"),
    "train.patience": (at_least(0), "epochs without a better validation value before stopping"),
    "train.seed": (None, "seed of the weights' initialisation and of dropout"),
    "train.jit_compile": (None, "compile the training step with XLA"),
    "train.strategy": (one_of(*STRATEGIES),
                       "tf.distribute strategy: default, mirrored, multiworker or tpu"),
    "train.ema": (fraction(), "momentum of an exponential moving average of the weights "
                              "(0 = none; Polyak averaging)"),
}


def common(key, default, **changes):
    """The `Option` of a `COMMON` key with this task's `default` (and any
    other field in `changes`)."""
    limit, help_text = COMMON[key]
    return Option(key, default, changes.pop("help", help_text),
                  changes.pop("limit", limit), **changes)


@dataclass
class Schema:
    """The options of one task, in the order `--help` and the docs show them."""

    options: list = field(default_factory=list)

    def __init__(self, *options):
        self.options = list(options)
        keys = [option.key for option in self.options]
        repeated = {key for key in keys if keys.count(key) > 1}
        if repeated:
            raise ValueError(f"Each key is declared once. Received twice: {sorted(repeated)}")

    def __iter__(self):
        return iter(self.options)

    def __getitem__(self, key):
        for option in self.options:
            if option.key == key:
                return option
        raise KeyError(key)

    def __contains__(self, key):
        return any(option.key == key for option in self.options)

    def defaults(self):
        """`{section: {key: default}}`."""
        out = {}
        for option in self.options:
            out.setdefault(option.section, {})[option.name] = option.default
        return out

    def run_keys(self):
        return [option for option in self.options if option.run_key]

    def prepare_keys(self):
        return [option for option in self.options if option.prepare]

    def check(self, config):
        """Raises a UsageError naming the first key of `config` (`{section:
        {key: value}}`) whose value its limit refuses."""
        for option in self.options:
            if option.limit is None:
                continue
            value = config[option.section][option.name]
            try:
                accepted = option.limit.accepts(value)
            except TypeError:  # a --config file's value of another type
                accepted = False
            if not accepted:
                raise UsageError(f"--set {option.key}={value}: expected {option.limit.expected}")

    def markdown(self):
        """The options as a Markdown table: key, default, values, help."""
        import json

        rows = ["| key | default | values | meaning |", "|---|---|---|---|"]
        for option in self.options:
            values = option.limit.expected if option.limit else type(option.default).__name__
            roles = [role for role, on in (("prepare option", option.prepare),
                                           ("run key", option.run_key)) if on]
            meaning = option.help + (f" ({', '.join(roles)})" if roles else "")
            rows.append(f"| `{option.key}` | `{json.dumps(option.default)}` | "
                        f"{values.replace('|', '/')} | {meaning} |")
        return "\n".join(rows)
