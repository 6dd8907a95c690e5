"""`python -m pipeline.run --task T`: prepare, train, evaluate and export.

The whole pipeline of a task in one command (`make run` runs it for G2P with
the quick preset), then the export's own answers for a few inputs, read back
from the SavedModel as a TF Serving client would get them.

    python -m pipeline.run --task g2p --preset quick
"""

import time

from pipeline.core import cli, export, rundir


def main(argv=None):
    args = cli.parser("run", __doc__.split("\n\n")[0], strategy=True).parse_args(argv)
    config = cli.resolve(args)
    cli.check_memory(args, config)
    with cli.writing(args, config, "pipeline.run"):
        return run(cli.task_of(args), config, args)


def run(task, config, args):
    from pipeline.evaluate import show

    start = time.perf_counter()
    print(f"== prepare ({args.task}, preset {args.preset}, run {args.run_dir})", flush=True)
    task_data, prepared = rundir.prepare(task, args.run_dir, config, data=args.data,
                                         data_dir=args.data_dir)
    rundir.show(task, task_data, prepared)
    print("== train", flush=True)
    task.train(config, args.run_dir, data=args.data, data_dir=args.data_dir)
    print("== evaluate", flush=True)
    show(task.evaluate(config, args.run_dir, data=args.data, data_dir=args.data_dir))
    if task.exportable:
        print("== export", flush=True)
        path = export.export(task, config, args.run_dir, args.export_dir)
        print(f"exported {path}")
        task.show_export(path, config, args.run_dir)
    print(f"done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    cli.run_command(main)
