"""`python -m tuning.search --task T --tuner K`: search a task's hyperparameters.

Runs a random, Hyperband or Bayesian search over the task's search space
(`search_space` of the task, in its folder), each trial trained on the task's input
pipeline and scored by its validation metric, then prints and writes the
table of the best trials (`<dir>/summary.md`, `summary.json`) and a plot of
the objective per trial (`<dir>/plots/objective.png`). The state lives in
`--dir`: rerunning the same command resumes the search where it stopped.

    python -m tuning.search --task g2p --tuner random --max-trials 20
    python -m tuning.search --task g2p --tuner hyperband --preset quick --baseline --export-best
    python -m tuning.search --task g2p --tuner bayesian --fix cell=gru --fix attention=luong

Distributed (keras-tuner's protocol): start one chief and N workers with
the same flags and `--dir`, and the environment variables
`KERASTUNER_TUNER_ID` (`chief`, or a unique worker id such as `worker0`),
`KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` (where the chief
listens). The chief serves trials and writes the summary when all are done.
"""

import argparse
import contextlib
import fcntl
import json
import os
import shutil

from pipeline.core import cli, registry
from pipeline.core.errors import UsageError
from pipeline.core.schema import STRATEGIES

#: The tuners (`tuning.tuners.make_tuner`).
KINDS = ("random", "hyperband", "bayesian")


def parser():
    from pipeline.core import schema

    p = argparse.ArgumentParser(prog="python -m tuning.search",
                                description=__doc__.split("\n\n")[0],
                                epilog="See docs/tuning.md.",
                                formatter_class=cli.HelpFormatter)
    p.add_argument("--task", required=True, choices=registry.names(), help="the task")
    p.add_argument("--tuner", required=True, choices=KINDS,
                   help="random search, Hyperband (max epochs = train.epochs, factor 3), or "
                        "Bayesian optimisation with a Gaussian process")
    p.add_argument("--max-trials", type=cli.flag_type(schema.at_least(1)),
                   help="trials to run (default 10; Hyperband: its own schedule)")
    p.add_argument("--preset", default="quick", choices=("smoke", "quick", "full"),
                   help="the configuration the space is centred on (every default)")
    p.add_argument("--dir", help="search state, summary and plots; a rerun resumes it "
                                 "(default: runs/<task>/search-<tuner>-<preset>)")
    p.add_argument("--data", help="a data file, or tfds:NAME; default: the embedded data")
    p.add_argument("--data-dir", default=os.environ.get("TFDS_DATA_DIR"),
                   help="TFDS data directory")
    p.add_argument("--config", help="JSON file of configuration overrides")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override one configuration value (moves that hyperparameter's default)")
    p.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE",
                   help="hold one hyperparameter at VALUE (hp.Fixed), e.g. --fix cell=gru")
    p.add_argument("--strategy", default="default", choices=STRATEGIES,
                   help="tf.distribute strategy each trial trains under")
    p.add_argument("--seed", type=int, default=0,
                   help="the search's seed: the same seed draws the same trials")
    p.add_argument("--executions", type=cli.flag_type(schema.at_least(1)), default=1,
                   help="trainings per trial, their objective averaged")
    p.add_argument("--max-retries", type=cli.flag_type(schema.at_least(0)), default=1,
                   help="reruns of a failed trial (an error, or its worker died)")
    p.add_argument("--max-failures", type=cli.flag_type(schema.at_least(1)), default=3,
                   help="consecutive failed trials that stop the search")
    p.add_argument("--worker-timeout", type=cli.flag_type(schema.above(0), float),
                   default=120.0,
                   help="distributed: seconds without a worker's heartbeat before the chief "
                        "retries its trial (workers beat every timeout/6 s)")
    p.add_argument("--top", type=cli.flag_type(schema.at_least(1)), default=10,
                   help="trials in the printed table")
    p.add_argument("--baseline", action="store_true",
                   help="also train the default configuration once and show it in the table")
    p.add_argument("--export-best", action="store_true",
                   help="evaluate the best trial's model on the test split and export it "
                        "(<dir>/best is its run directory)")
    p.add_argument("--export-dir", default="saved", help="where --export-best exports go")
    p.add_argument("--overwrite", action="store_true",
                   help="discard the search in --dir (a directory holding no search is refused)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress bars")
    cli.add_verbose(p)
    return p


def parse_fixed(pairs, space):
    """`["name=value"]` -> `{name: value}` for the hyperparameters of `space`
    (a declared `HyperParameters`); values read as JSON when they parse
    (numbers, true/false), else as strings."""
    declared = {p.name: p for p in space.space}
    fixed = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or name not in declared:
            raise UsageError(f"--fix {pair}: expected NAME=VALUE with NAME one of "
                             f"{', '.join(declared)}")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        fixed[name] = fixed_value(declared[name], value, pair)
    return fixed


def fixed_value(hp, value, pair):
    """`value` if the declared hyperparameter `hp` can take it: one of a
    Choice's or a Boolean's values, a number in an Int's or a Float's range
    (a numeric hyperparameter's `values` is only a sample of it)."""
    from keras_tuner.engine.hyperparameters import Boolean, Choice, Float, Int

    if isinstance(hp, (Choice, Boolean)):
        if value not in hp.values:
            raise UsageError(f"--fix {pair}: {hp.name} takes one of "
                             f"{', '.join(map(str, hp.values))}")
        return value
    if isinstance(hp, (Int, Float)):
        from pipeline.core.config import KIND_NAMES, checked_type

        kind = int if isinstance(hp, Int) else float
        try:
            value = checked_type(value, kind(0), f"--fix {pair}")
        except UsageError:
            value = None
        if value is None or not hp.min_value <= value <= hp.max_value:
            raise UsageError(f"--fix {pair}: {hp.name} takes {KIND_NAMES[kind]} from "
                             f"{hp.min_value} to {hp.max_value}")
    return value


def fixed_space(space, fixed):
    """The declared `space` with the `fixed` hyperparameters made `Fixed`
    under the same conditions, so the search declares each name once."""
    import keras_tuner
    from keras_tuner.engine.hyperparameters import Fixed

    hp = keras_tuner.HyperParameters()
    hp.merge([Fixed(p.name, fixed[p.name], conditions=p.conditions) if p.name in fixed else p
              for p in space.space])
    return hp


def overwrite(directory):
    """Discards the search in `directory`; refuses one holding something
    other than a search."""
    if os.path.isdir(directory):
        if os.listdir(directory) and not os.path.exists(os.path.join(directory, "search.json")):
            raise UsageError(f"--overwrite: {directory} holds no search (search.json); "
                             "remove it yourself or use another --dir")
        shutil.rmtree(directory)


@contextlib.contextmanager
def locked(path):
    """An exclusive lock on `path` (chief and workers sharing a `--dir`)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_identity(directory, identity):
    """Refuses to resume a search of another task, preset, tuner or
    configuration in `directory`; records it for the first run."""
    from pipeline.core import atomic

    path = os.path.join(directory, "search.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            recorded = json.load(handle)
        if recorded != json.loads(json.dumps(identity)):
            changed = sorted(k for k in identity if recorded.get(k) != identity[k])
            raise UsageError(f"--dir {directory}: holds a search with other "
                             f"{', '.join(changed)}; use another --dir or --overwrite")
    atomic.write_json(path, identity)


def baseline(hypermodel, directory, strategy):
    """The objective of the default configuration (every hyperparameter at
    its default), trained once like a trial; cached in `baseline.json`."""
    from pipeline.core import atomic

    path = os.path.join(directory, "baseline.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    import keras_tuner

    print("== baseline: the default configuration", flush=True)
    hp = keras_tuner.HyperParameters()
    with strategy.scope():
        model = hypermodel.build(hp)
    history = hypermodel.fit(hp, model).history
    values = history[hypermodel.objective.name]
    pick = max if hypermodel.objective.direction == "max" else min
    best = pick(values)
    result = {"value": best, "step": values.index(best), "epochs": len(values),
              "values": hp.values}
    atomic.write_json(path, result)
    return result


def export_best(tuner, hypermodel, args, directory):
    """Makes `<dir>/best` the run directory of the best trial (its best
    checkpoint, or a retraining when the checkpoint is on another machine),
    evaluates it on the test split and exports it (`pipeline.export`)."""
    from pipeline.core import atomic, export, training
    from pipeline.evaluate import show

    task = registry.get(args.task)
    oracle = tuner.oracle
    trials = [t for t in oracle.get_best_trials(len(oracle.trials))
              if t.status == "COMPLETED" and t.score is not None]
    if not trials:
        raise UsageError(f"--export-best: no completed trial in {directory}")
    trial = trials[0]
    config = hypermodel.config(trial.hyperparameters)
    config = task.trained_config(config, directory)
    run_dir = os.path.join(directory, "best")
    checkpoint = tuner._get_checkpoint_fname(trial.trial_id)
    with atomic.atomic_directory(run_dir) as staging:
        shutil.copytree(os.path.join(directory, "data"), os.path.join(staging, "data"))
        atomic.write_json(os.path.join(staging, "config.json"), config)
        if os.path.exists(checkpoint):
            training.save_model(tuner.load_model(trial), staging)
            atomic.write_json(os.path.join(staging, "train_history.json"),
                              trial_history(trial))
    print(f"== best trial {trial.trial_id} ({hypermodel.objective.name} {trial.score:.4f}) "
          f"in {run_dir}", flush=True)
    if not os.path.exists(os.path.join(run_dir, "model.keras")):
        print(f"no checkpoint of trial {trial.trial_id} here: retraining its configuration")
        task.train(config, run_dir, data=args.data, data_dir=args.data_dir)
    show(task.evaluate(config, run_dir, data=args.data, data_dir=args.data_dir))
    path = export.export(task, config, run_dir, args.export_dir)
    print(f"exported {path}")
    task.show_export(path, config, run_dir)
    return path


def trial_history(trial):
    """`{metric: [value of each epoch]}` of a trial, the form the train
    stage writes to `train_history.json` (what a refit reads its epochs
    from, `pipeline.tasks.forecast.refit`)."""
    history = {}
    for name in trial.metrics.metrics:
        observations = sorted(trial.metrics.get_history(name), key=lambda o: o.step)
        history[name] = [float(o.mean()) for o in observations]
    return history


def hypermodel_of(task, config, directory, data=None, data_dir=None, verbose="auto"):
    """The `TaskHyperModel` of `task` (`tuning.hypermodel`)."""
    from tuning.hypermodel import TaskHyperModel

    return TaskHyperModel(task, config, directory, data=data, data_dir=data_dir,
                          verbose=verbose)


def main(argv=None):
    args = parser().parse_args(argv)  # first: --help answers without TensorFlow
    import keras

    from pipeline.core import config as config_lib
    from pipeline.core import distribution, rundir
    from tuning import summary, tuners

    directory = args.dir or os.path.join("runs", args.task, f"search-{args.tuner}-{args.preset}")
    task = registry.get(args.task)
    config = config_lib.resolve(task, args.preset, args.config, args.set)
    hypermodel = hypermodel_of(task, config, directory, args.data, args.data_dir,
                               verbose=0 if args.quiet else "auto")
    space = declared_space(hypermodel, config)
    fixed = parse_fixed(args.fix, space)
    role = tuners.role()
    args.dir = directory
    cli.check_directories(args, ("dir", "export_dir"))
    if args.overwrite and role != "worker":
        overwrite(directory)
    with locked(os.path.join(directory, ".lock")):
        rundir.ensure_prepared(task, config, directory, args.data, args.data_dir)
        if role != "worker":
            check_identity(directory, {"task": args.task, "preset": args.preset,
                                       "tuner": args.tuner, "data": args.data, "config": config,
                                       "fixed": fixed, "seed": args.seed})
    hp = fixed_space(space, fixed) if fixed else None
    strategy = distribution.strategy_named(args.strategy)
    tuner = tuners.make_tuner(
        args.tuner, hypermodel, directory, max_trials=args.max_trials, hyperparameters=hp,
        seed=args.seed, max_retries=args.max_retries, max_failures=args.max_failures,
        distribution_strategy=strategy if args.strategy != "default" else None,
        lease_seconds=args.worker_timeout, executions_per_trial=args.executions)
    logs = keras.callbacks.TensorBoard(os.path.join(directory, "logs"))
    tuner.search(callbacks=[logs], verbose=0 if args.quiet else "auto")
    if role == "worker":
        print(f"worker {tuner.tuner_id}: no trials left")
        return 0
    base = baseline(hypermodel, directory, strategy) if args.baseline else None
    print(f"== {args.tuner} search of {args.task} ({args.preset}) in {directory}: "
          f"best trials by {hypermodel.objective.name}")
    print(summary.write(directory, tuner.oracle, limit=args.top, baseline=base))
    print(f"table: {directory}/summary.md; plot: {directory}/plots/objective.png")
    unfinished = [t for t in tuner.oracle.trials.values()
                  if t.status not in ("COMPLETED", "FAILED")]
    if unfinished:
        print(f"{len(unfinished)} trial(s) not finished: rerun the same command to run them")
    if args.export_best:
        export_best(tuner, hypermodel, args, directory)
    return 0


def declared_space(hypermodel, config):
    """The task's hyperparameters, conditional ones included, declared."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    hypermodel.space(hp, config)
    return hp


if __name__ == "__main__":
    cli.run_command(main)
