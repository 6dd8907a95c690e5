"""`python -m pipeline.prepare --task T`: build a task's data and vocabularies.

Builds (or reuses) the task's dataset, fits what is fitted on the training
split only (vocabularies, the forecast normaliser), writes them to
`<run-dir>/data/` in one atomic step, and prints the split sizes and a few
examples. Later stages read `<run-dir>/data/`; models carry the vocabularies
into their exports. The `--set` keys that choose the data are the task's
prepare options (docs/configuration.md).

    python -m pipeline.prepare --task g2p
    python -m pipeline.prepare --task classify --data langs.tsv
    python -m pipeline.prepare --task forecast --set forecast.series=co2
"""

import os

from pipeline.core import cli, lock, rundir


def main(argv=None):
    parser = cli.parser("prepare", __doc__.split("\n\n")[0],
                        epilog=__doc__.split("\n\n", 1)[1])
    args = parser.parse_args(argv)
    config = cli.resolve(args)
    task = cli.task_of(args)
    with lock.run_lock(args.run_dir, "pipeline.prepare"):
        task_data, prepared = rundir.prepare(task, args.run_dir, config, data=args.data,
                                             data_dir=args.data_dir)
    rundir.show(task, task_data, prepared)
    print(f"wrote {os.path.join(args.run_dir, 'data')}")
    return 0


if __name__ == "__main__":
    cli.run_command(main)
