"""`python -m pipeline.export --task T`: export a trained run for TF Serving.

Writes `<export-dir>/<task>/<version>/` (version = the next integer) as a
SavedModel whose `serving_default` signature takes raw inputs and returns
readable answers (`docs/serving.md`). The version is written into a hidden
temporary folder and renamed into place at the end, so TF Serving never
sees a half-written version. `assets.extra/metadata.json` records the task,
model, metrics and the run it came from.
"""

from pipeline.core import cli, export, rundir


def main(argv=None):
    args = cli.parser("export", __doc__.split("\n\n")[0]).parse_args(argv)
    config = cli.resolve(args)
    task = cli.task_of(args)
    rundir.check_run(task, config, args.run_dir)  # a run of this task, made so
    print(f"exported {export.export(task, config, args.run_dir, args.export_dir)}")
    return 0


if __name__ == "__main__":
    cli.run_command(main)
