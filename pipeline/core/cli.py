"""What every command shares: its flags (`docs/architecture.md` section 2),
the resolution of the run's configuration, and its `__main__`.

Nothing here loads TensorFlow, so `--help` answers at once; `run_command`
keeps TensorFlow's start-up lines off the terminal (`pipeline.core.quiet`).
"""

import argparse
import json
import os
import re
import sys

from pipeline.core import quiet, registry
from pipeline.core.errors import UsageError, run_cli
from pipeline.core.schema import STRATEGIES


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` with each flag's default, except where there is none to
    show: a required flag, a default of None, [] or False, or a help text
    that already says what happens by default."""

    def _get_help_string(self, action):
        if (action.required or action.default is None or action.default is False
                or action.default == []
                or re.search(r"\bdefault[ :]", action.help or "")):
            return action.help
        return super()._get_help_string(action)


class RawHelpFormatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """`HelpFormatter` keeping the description's and epilog's line breaks."""


def flag_type(limit, kind=int):
    """An argparse `type`: a `kind` value that `limit` (a
    `pipeline.core.schema.Limit`) accepts, else argparse's usage error
    (exit 2) naming the flag."""

    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not limit.accepts(value):
            raise argparse.ArgumentTypeError(f"expected {limit.expected}, got {text}")
        return value

    return convert


def check_utf8(texts, name):
    """Raises a UsageError naming `name` and the number of the first text
    that holds bytes that were not UTF-8 (Python keeps them in argv and
    stdin as lone surrogates, which TensorFlow cannot convert)."""
    for number, text in enumerate(texts, 1):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise UsageError(f"{name} {number}: not valid UTF-8 (character {error.start + 1}); "
                             "expected UTF-8 text") from None


def check_directories(args, flags=("run_dir", "export_dir")):
    """Raises a UsageError naming the flag (`--run-dir`, `--export-dir`, or
    the other directory `flags` of `args`) whose path is a file, before any
    work."""
    for flag in flags:
        path = getattr(args, flag, None)
        if path and os.path.exists(path) and not os.path.isdir(path):
            raise UsageError(f"--{flag.replace('_', '-')} {path}: not a directory")


def add_verbose(p):
    p.add_argument(quiet.VERBOSE_FLAG, action="store_true",
                   help="show TensorFlow's log lines and library warnings (also "
                        f"{quiet.VERBOSE_ENVIRONMENT}=1)")


def task_keys(argv=None):
    """The `--set` keys of the task named by `--task` in `argv` (default
    `sys.argv`), each with its default and help, for `--help`; "" when no
    task is named or no help is asked for."""
    argv = sys.argv[1:] if argv is None else argv
    if not {"-h", "--help"} & set(argv):
        return ""
    names = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--task"]
    names += [arg.partition("=")[2] for arg in argv if arg.startswith("--task=")]
    if not names or names[-1] not in registry.names():
        return ""
    task = registry.get(names[-1])
    rows = [f"  {option.key}={json.dumps(option.default)}: {option.help}"
            for option in task.schema]
    return (f"configuration keys of {task.name} (--set KEY=VALUE; limits in "
            "docs/configuration.md):\n" + "\n".join(rows))


def parser(stage, description, strategy=False, epilog=None,
           run_dir_help="run directory (default: runs/<task>/<preset>)"):
    """The common flags of `python -m pipeline.<stage>`; `strategy` adds
    `--strategy` and `--allow-large` (the stages that train). With `--task T` given, `--help`
    also lists T's configuration keys (`task_keys`)."""
    keys = task_keys()
    epilog = "\n\n".join(part for part in (epilog, keys) if part) or None
    p = argparse.ArgumentParser(prog=f"python -m pipeline.{stage}", description=description,
                                epilog=epilog,
                                formatter_class=RawHelpFormatter if epilog else HelpFormatter)
    p.add_argument("--task", required=True, choices=registry.names(), help="the task")
    p.add_argument("--preset", default="quick", choices=("smoke", "quick", "full"),
                   help="size of the run: smoke (seconds, tests), quick (minutes), full")
    p.add_argument("--data", help="a data file (format per task, see its README), or "
                   "tfds:NAME for a TFDS catalog entry; default: the embedded data")
    p.add_argument("--data-dir", default=os.environ.get("TFDS_DATA_DIR"),
                   help="TFDS data directory (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)")
    p.add_argument("--config", help="JSON file of configuration overrides")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override one configuration value, e.g. --set train.epochs=3 "
                        "(every key: docs/configuration.md)")
    p.add_argument("--run-dir", help=run_dir_help)
    p.add_argument("--export-dir", default="saved", help="where exports go")
    if strategy:
        p.add_argument("--allow-large", action="store_true",
                       help="train even when the memory estimate of the run is above half "
                            "the machine's physical memory (pipeline.core.memory)")
        p.add_argument("--strategy", choices=STRATEGIES,
                       help="tf.distribute strategy of the training (sets train.strategy): "
                            "mirrored = every local GPU or logical CPU; multiworker = the "
                            "processes TF_CONFIG names; tpu; default: the configuration's, "
                            "else no distribution")
    add_verbose(p)
    return p


def resolve(args):
    """Fills `args.run_dir` and returns the resolved configuration."""
    from pipeline.core import config

    args.run_dir = args.run_dir or os.path.join("runs", args.task, args.preset)
    check_directories(args)
    strategy = getattr(args, "strategy", None)
    if strategy:
        from pipeline.core import distribution

        distribution.strategy_named(strategy)  # first: multiworker must start before other TF work
    resolved = config.resolve(args.task, args.preset, args.config, args.set)
    if strategy:
        resolved["train"]["strategy"] = strategy
    return resolved


def check_memory(args, config):
    """Refuses, naming the flag, a training run whose memory estimate does
    not fit the machine unless `--allow-large` (`pipeline.core.memory.check`)."""
    from pipeline.core import memory

    memory.check(task_of(args), config, allow_large=args.allow_large)


def writing(args, config, stage):
    """The exclusive lock of the run directory this process writes
    (`pipeline.core.lock`): `args.run_dir`, or a multi-worker strategy's
    non-chief worker's own folder in it (`distribution.writer_dir`)."""
    from pipeline.core import lock

    directory = args.run_dir
    if config.get("train", {}).get("strategy") == "multiworker":
        from pipeline.core import distribution

        directory = distribution.writer_dir(distribution.strategy_named("multiworker"),
                                            directory)
    return lock.run_lock(directory, stage)


def task_of(args):
    """The `Task` named by `args.task`."""
    return registry.get(args.task)


def run_command(main):
    """The `__main__` of every command: quiet unless `--verbose`, then
    `run_cli` (exit codes of `docs/architecture.md` section 2). A `main`
    that returns its report (the benches, for their tests) succeeded: 0."""
    if not quiet.verbose():
        quiet.silence()
    code = run_cli(main)
    sys.exit(code if isinstance(code, int) else 0)
