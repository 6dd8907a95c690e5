"""`python -m pipeline.export --task T`: export a trained run for TF Serving.

Writes `<export-dir>/<task>/<version>/` (version = the next integer) as a
SavedModel whose `serving_default` signature takes raw inputs and returns
readable answers (DESIGN section 5). The version is written into a hidden
temporary folder and renamed into place at the end, so TF Serving never
sees a half-written version. `assets.extra/metadata.json` records the task,
model, metrics and the run it came from.
"""

import os
import re
import shutil
import sys
import tempfile

from pipeline import prepare
from pipeline.core import cli
from pipeline.core.errors import run_cli


def write_archive(directory, tracked, endpoints):
    """Writes a SavedModel into `directory` with one signature per entry of
    `endpoints` (`{name: tf.function}`), holding the variables and lookup
    tables of the models and layers in `tracked` (`keras.export.ExportArchive`).
    The task modules' `export` functions call this."""
    import keras

    archive = keras.export.ExportArchive()
    for resource in tracked:
        archive.track(resource)
    for name, function in endpoints.items():
        archive.add_endpoint(name, function)
    archive.write_out(directory, verbose=False)


def next_version(task_dir):
    """1 + the largest integer folder name in `task_dir` (1 when none)."""
    versions = [int(n) for n in os.listdir(task_dir) if re.fullmatch(r"\d+", n)] \
        if os.path.isdir(task_dir) else []
    return max(versions, default=0) + 1


def export(task, config, run_dir, export_dir):
    """Exports the run; returns the path of the new version."""
    import json

    from pipeline.core import atomic
    from pipeline.core.errors import UsageError

    module = cli.task_module(task)
    if not getattr(module, "EXPORTABLE", True):
        raise UsageError(f"--task {task}: this task has no serving export")
    if not os.path.exists(os.path.join(run_dir, "model.keras")):  # before any directory is made
        raise UsageError(f"--run-dir {run_dir}: no trained model (model.keras); "
                         "run the train stage first")
    task_dir = os.path.join(export_dir, task)
    os.makedirs(task_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=task_dir)
    try:
        saved = os.path.join(staging, "model")
        metadata = module.export(config, run_dir, saved)
        metrics_path = os.path.join(run_dir, "metrics.json")
        metrics = {}
        if os.path.exists(metrics_path):
            with open(metrics_path, encoding="utf-8") as handle:
                metrics = {k: v for k, v in json.load(handle).items()
                           if isinstance(v, (int, float))}
        metadata = {"task": task, "run_dir": os.path.abspath(run_dir), "config": config,
                    "metrics": metrics, **metadata}
        atomic.write_json(os.path.join(saved, "assets.extra", "metadata.json"), metadata)
        version = next_version(task_dir)
        final = os.path.join(task_dir, str(version))
        os.rename(saved, final)  # atomic: TF Serving sees all of it or nothing
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None):
    args = cli.parser("export", __doc__.split("\n\n")[0]).parse_args(argv)
    config = cli.resolve(args)
    prepare.check_run(args.task, config, args.run_dir)  # a run of this task, made so
    print(f"exported {export(args.task, config, args.run_dir, args.export_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
