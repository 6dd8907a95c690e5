"""`python -m pipeline.prepare --task T`: build a task's data and vocabularies.

Builds (or reuses) the task's dataset, fits what is fitted on the training
split only (vocabularies, the forecast normaliser), writes them to
`<run-dir>/data/` in one atomic step, and prints the split sizes and a few
examples. Later stages read `<run-dir>/data/`; models carry the vocabularies
into their exports.

    python -m pipeline.prepare --task g2p
    python -m pipeline.prepare --task classify --data langs.tsv
    python -m pipeline.prepare --task forecast --set forecast.series=co2
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pipeline.core import cli  # noqa: E402
from pipeline.core.errors import UsageError, run_cli  # noqa: E402
from pipeline.tasks import TASKS  # noqa: E402

OPTIONS = {  # --set keys this stage understands, with their types
    "forecast.series": str,
    "forecast.column": str,
    "synthetic.problem": str,
    "synthetic.length": int,
    "classify.unit": str,
    "g2p.stress": str,
}
#: The subset of OPTIONS that choose the data (passed to `pipeline.data.builders.load`);
#: the rest shape what prepare fits.
LOADER_OPTIONS = ("forecast.series", "forecast.column", "synthetic.problem", "synthetic.length")


def parse_sets(pairs):
    """`["key=value", ...]` -> `{key: typed value}`; unknown keys are errors."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in OPTIONS:
            raise UsageError(f"--set {pair}: expected KEY=VALUE with KEY one of "
                             f"{', '.join(OPTIONS)}")
        try:
            options[key] = OPTIONS[key](value)
        except ValueError:
            raise UsageError(f"--set {pair}: {key} takes a {OPTIONS[key].__name__}") from None
    return options


def options_from_config(config):
    """The prepare options a run configuration sets: the keys of its section
    named after the task (e.g. `forecast.series` in a forecast config)."""
    task = config["task"]
    return {f"{task}.{key}": value for key, value in config.get(task, {}).items()
            if f"{task}.{key}" in OPTIONS}


def loader_options(task, options):
    prefix = f"{task}."
    return {key[len(prefix):]: value for key, value in options.items()
            if key.startswith(prefix) and key in LOADER_OPTIONS}


def check_prepared_option(run_dir, option, wanted, default=None):
    """Returns the value of the prepare option `option` (`"task.key"`, saved
    as `key` in `prepared.json`) that `run_dir` was prepared with, `default`
    for runs prepared before the option existed.

    Raises:
        UsageError: the run was not prepared, or was prepared with another
            value than `wanted`.
    """
    import json

    path = os.path.join(run_dir, "data", "prepared.json")
    if not os.path.exists(path):
        raise UsageError(f"--run-dir {run_dir}: no prepared data (data/prepared.json); "
                         "run the train stage first")
    with open(path, encoding="utf-8") as handle:
        value = json.load(handle).get(option.partition(".")[2], default)
    if value != wanted:
        raise made_otherwise(run_dir, "prepared", option, value, wanted)
    return value


def made_otherwise(run_dir, verb, option, value, wanted):
    """The UsageError for a run `verb` ("prepared", "trained") with another
    value of `option` than the one given."""
    return UsageError(f"--set {option}={wanted}: {run_dir} was {verb} with {option}={value}; "
                      "pass that or use another --run-dir")


def check_run(task, config, run_dir, trained=True):
    """Raises a UsageError when `run_dir` holds a run of another task, or
    one made with other values of the keys its task's later stages must
    repeat (`RUN_KEYS` of `pipeline.tasks.<task>`, e.g. classify's
    `classify.unit` and `data.max_length`): a prepare option is compared
    with `prepared.json`, any other key, when `trained`, with the run's
    `config.json`. Keys a run does not record (runs from before this check)
    and runs without prepared data are left to the stage itself."""
    import json

    def recorded(name):
        path = os.path.join(run_dir, *name)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    prepared = recorded(("data", "prepared.json"))
    if prepared is None:
        return
    made_for = prepared.get("task", task)
    if made_for != task:
        raise UsageError(f"--task {task}: {run_dir} holds a {made_for} run; "
                         f"pass --task {made_for} or another --run-dir")
    trained_config = recorded(("config.json",)) if trained else None
    for option in getattr(cli.task_module(task), "RUN_KEYS", ()):
        section, _, key = option.partition(".")
        if option in OPTIONS:
            value, verb = prepared.get(key), "prepared"
        else:
            value, verb = (trained_config or {}).get(section, {}).get(key), "trained"
        wanted = config[section][key]
        if value is not None and value != wanted:
            raise made_otherwise(run_dir, verb, option, value, wanted)


def prepare(task, data=None, data_dir=None, run_dir=None, options=None):
    """Builds the data of `task` and writes `<run_dir>/data/`; returns
    `(task_data, prepared)` where `prepared` is what `prepared.json` holds."""
    from pipeline.core import atomic
    from pipeline.data import builders as data_lib
    from pipeline.data import vocab as vocab_lib

    options = options or {}
    task_data = data_lib.load(task, data=data, data_dir=data_dir,
                              **loader_options(task, options))
    prepared = {"task": task, "source": task_data.source, "sizes": task_data.sizes(),
                "metadata": task_data.metadata}
    module = cli.task_module(task)
    for option in getattr(module, "RUN_KEYS", ()):  # what later stages check (`check_run`)
        section, _, key = option.partition(".")
        if option in OPTIONS:
            prepared[key] = options.get(option, module.DEFAULTS[section][key])
    vocabularies = {}
    train = task_data.splits["train"]
    if task == "g2p":
        from pipeline.inputs import g2p

        stress = options.get("g2p.stress", "keep")
        if stress not in g2p.STRESS:
            raise UsageError(f"--set g2p.stress={stress}: use {' or '.join(g2p.STRESS)}")
        vocabularies = g2p.build_vocabularies(g2p.without_stress(train) if stress == "strip"
                                              else train)
        prepared["stress"] = stress
    elif task == "lm":
        from pipeline.inputs import lm

        vocabularies = {"chars": lm.build_vocabulary(train)}
    elif task == "classify":
        from pipeline.inputs import classify

        unit = options.get("classify.unit", "char")
        if unit not in ("char", "word"):
            raise UsageError(f"--set classify.unit={unit}: use char or word")
        vocabularies = {"tokens": classify.build_vocabulary([t for t, _ in train], unit=unit),
                        "labels": task_data.labels}
        prepared["unit"] = unit
    elif task == "forecast":
        from pipeline.inputs import forecast

        start, stop = task_data.splits["train"]
        mean, std = forecast.fit_normalizer(task_data.series[start:stop])
        prepared.update(normalizer={"mean": mean, "std": std}, bounds=task_data.splits)
    with atomic.atomic_directory(os.path.join(run_dir, "data")) as staging:
        for name, tokens in vocabularies.items():
            vocab_lib.save_vocabulary(tokens, os.path.join(staging, f"vocab_{name}.json"))
        if task == "forecast":
            import numpy as np

            np.save(os.path.join(staging, "series.npy"), task_data.series)
        prepared["vocabularies"] = {name: len(tokens) for name, tokens in vocabularies.items()}
        atomic.write_json(os.path.join(staging, "prepared.json"), prepared)
    return task_data, prepared


def show(task_data, prepared, examples=3):
    """Prints the split sizes and the first examples of the training split."""
    unit = "characters" if task_data.task == "lm" else (
        "target steps" if task_data.task == "forecast" else "examples")
    print(f"{task_data.task}: {task_data.source}")
    for split, size in prepared["sizes"].items():
        print(f"  {split:<11}{size:>10} {unit}")
    for key, value in prepared["metadata"].items():
        print(f"  {key}: {value}")
    for name, size in prepared.get("vocabularies", {}).items():
        print(f"  vocabulary {name}: {size} tokens")
    train = task_data.splits["train"]
    print("examples:")
    if task_data.task == "g2p":
        for word in list(train)[:examples]:
            print(f"  {word} -> {' | '.join(train[word])}")
    elif task_data.task == "lm":
        print("  " + repr(train[:200]))
    elif task_data.task == "classify":
        for text, label in train[:examples]:
            print(f"  {label}: {text[:70]!r}")
    elif task_data.task == "forecast":
        start, stop = train
        print(f"  first values {task_data.series[start:start + 5].round(2).tolist()}")
    else:
        for ex in train.take(1).as_numpy_iterator():
            print(f"  inputs {ex['inputs'].shape}, targets {ex['targets'].shape}")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.prepare",
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2],
    )
    parser.add_argument("--task", required=True, choices=TASKS, help="the task")
    parser.add_argument("--data", help="a data file (format per task, see README) or "
                        "tfds:NAME for a TFDS catalog entry; default: the embedded data")
    parser.add_argument("--data-dir", default=os.environ.get("TFDS_DATA_DIR"),
                        help="TFDS data directory (default: $TFDS_DATA_DIR or "
                        "~/tensorflow_datasets)")
    parser.add_argument("--run-dir", help="run directory (default: runs/<task>/default)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"task option, one of: {', '.join(OPTIONS)}")
    args = parser.parse_args(argv)
    args.run_dir = args.run_dir or os.path.join("runs", args.task, "default")
    cli.check_directories(args)
    args.options = parse_sets(args.set)
    return args


def main(argv=None):
    args = parse_args(argv)
    task_data, prepared = prepare(args.task, data=args.data, data_dir=args.data_dir,
                                  run_dir=args.run_dir, options=args.options)
    show(task_data, prepared)
    print(f"wrote {os.path.join(args.run_dir, 'data')}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
