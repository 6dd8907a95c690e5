"""A run directory's prepared data, and the checks that a stage was given
the run it expects.

`prepare` builds a task's data (`Task.load_data`), lets the task fit what
is fitted on the training split (`Task.prepare_data`) and writes
`<run-dir>/data/` in one atomic step, with `prepared.json` recording the
task, the source, the split sizes and the value of every prepare option of
the task's schema. `check_run` refuses a run directory of another task, or
one made with other values of the task's run keys (`Option.run_key`), in
one line naming the flag (`docs/architecture.md` section 5).
"""

import hashlib
import json
import os

from pipeline.core.errors import UsageError

PREPARED = ("data", "prepared.json")


def read_json(run_dir, *name):
    """The JSON file `name` under `run_dir`, None when absent."""
    path = os.path.join(run_dir, *name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def file_digest(path):
    """SHA-256 (hex) of the file at `path`, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_digest(run_dir):
    """`file_digest` of the run's `model.keras`: what files derived from
    the trained model are tagged with, so a retrained run ignores them."""
    return file_digest(os.path.join(run_dir, "model.keras"))


def made_otherwise(run_dir, verb, option, value, wanted):
    """The UsageError for a run `verb` ("prepared", "trained") with another
    value of `option` than the one given."""
    return UsageError(f"--set {option}={wanted}: {run_dir} was {verb} with {option}={value}; "
                      "pass that or use another --run-dir")


def check_prepared_option(run_dir, option, wanted, default=None):
    """Returns the value of the prepare option `option` (`"section.key"`,
    saved as `key` in `prepared.json`) that `run_dir` was prepared with,
    `default` for runs prepared before the option existed.

    Raises:
        UsageError: the run was not prepared, or was prepared with another
            value than `wanted`.
    """
    prepared = read_json(run_dir, *PREPARED)
    if prepared is None:
        raise UsageError(f"--run-dir {run_dir}: no prepared data (data/prepared.json); "
                         "run the train stage first")
    value = prepared.get(option.partition(".")[2], default)
    if value != wanted:
        raise made_otherwise(run_dir, "prepared", option, value, wanted)
    return value


def check_run(task, config, run_dir, trained=True):
    """Raises a UsageError when `run_dir` holds a run of another task, or
    one made with other values of `task`'s run keys: a prepare option is
    compared with `prepared.json`, any other key, when `trained`, with the
    run's `config.json`. Keys a run does not record (runs from before this
    check) and runs without prepared data are left to the stage itself."""
    prepared = read_json(run_dir, *PREPARED)
    if prepared is None:
        return
    made_for = prepared.get("task", task.name)
    if made_for != task.name:
        raise UsageError(f"--task {task.name}: {run_dir} holds a {made_for} run; "
                         f"pass --task {made_for} or another --run-dir")
    trained_config = read_json(run_dir, "config.json") if trained else None
    for option in task.schema.run_keys():
        if option.prepare:
            value, verb = prepared.get(option.name), "prepared"
        else:
            value = (trained_config or {}).get(option.section, {}).get(option.name)
            verb = "trained"
        wanted = config[option.section][option.name]
        if value is not None and value != wanted:
            raise made_otherwise(run_dir, verb, option.key, value, wanted)


def prepare_options(task, config):
    """`{"section.key": value}` of `task`'s prepare options in `config`."""
    return {option.key: config[option.section][option.name]
            for option in task.schema.prepare_keys()}


def prepare(task, run_dir, config, data=None, data_dir=None):
    """Builds the data of `task` with the prepare options of `config` and
    writes `<run_dir>/data/`; returns `(task_data, prepared)` where
    `prepared` is what `prepared.json` holds."""
    from pipeline.core import atomic

    task_data = task.load_data(config, data=data, data_dir=data_dir)
    prepared = {"task": task.name, "source": task_data.source, "sizes": task_data.sizes(),
                "metadata": task_data.metadata}
    for key, value in prepare_options(task, config).items():  # what `check_run` reads
        prepared[key.partition(".")[2]] = value
    with atomic.atomic_directory(os.path.join(run_dir, "data")) as staging:
        prepared.update(task.prepare_data(task_data, config, staging))
        atomic.write_json(os.path.join(staging, "prepared.json"), prepared)
    return task_data, prepared


def ensure_prepared(task, config, run_dir, data=None, data_dir=None):
    """Runs `prepare` unless `<run_dir>/data/` holds its output; prepared
    data of another task or other prepare options is refused (`check_run`)."""
    check_run(task, config, run_dir, trained=False)
    if not os.path.exists(os.path.join(run_dir, *PREPARED)):
        prepare(task, run_dir, config, data=data, data_dir=data_dir)


def show(task, task_data, prepared, examples=3):
    """Prints the split sizes, the vocabularies and the first examples."""
    print(f"{task.name}: {task_data.source}")
    for split, size in prepared["sizes"].items():
        print(f"  {split:<11}{size:>10} {task.size_unit}")
    for key, value in prepared["metadata"].items():
        print(f"  {key}: {value}")
    for name, size in prepared.get("vocabularies", {}).items():
        print(f"  vocabulary {name}: {size} tokens")
    print("examples:")
    for line in task.describe_data(task_data, examples):
        print(f"  {line}")
