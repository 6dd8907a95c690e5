"""`python -m pipeline.evaluate --task T`: score a trained run on the test split.

Writes `<run-dir>/metrics.json` and plots to `<run-dir>/plots/`, and prints
the metrics. `--split validation` scores the validation split instead, into
`<run-dir>/validation/`, for choosing settings (e.g. `--set
decode.beam_width=8`) without looking at the test split.
"""

from pipeline.core import cli, evaluation, lock, rundir


def show(metrics):
    for key, value in metrics.items():
        if isinstance(value, float):
            print(f"{key:>16}: {value:.4f}")
        elif isinstance(value, int):
            print(f"{key:>16}: {value}")


def main(argv=None):
    parser = cli.parser("evaluate", __doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test", choices=evaluation.SPLITS,
                        help="the split to score; validation writes to <run-dir>/validation/")
    args = parser.parse_args(argv)
    config = cli.resolve(args)
    task = cli.task_of(args)
    rundir.check_run(task, config, args.run_dir)  # a run of this task, made so
    with lock.run_lock(args.run_dir, "pipeline.evaluate"):
        show(task.evaluate(config, args.run_dir, data=args.data, data_dir=args.data_dir,
                           split=args.split))
    return 0


if __name__ == "__main__":
    cli.run_command(main)
