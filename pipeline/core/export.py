"""Versioned SavedModel exports for TF Serving (`docs/architecture.md`
section 5).

`export` writes `<export-dir>/<task>/<version>/` (version = the next
integer) through the task's `Task.export` into a hidden temporary folder
and renames it into place at the end, so TF Serving never sees a
half-written version. `assets.extra/metadata.json` records the task, the
configuration, the metrics and the run it came from.
"""

import json
import os
import re
import shutil
import tempfile

from pipeline.core import atomic, registry
from pipeline.core.errors import UsageError


def write_archive(directory, tracked, endpoints):
    """Writes a SavedModel into `directory` with one signature per entry of
    `endpoints` (`{name: tf.function}`), holding the variables and lookup
    tables of the models and layers in `tracked` (`keras.export.ExportArchive`).
    The tasks' `export` methods call this."""
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
    """Exports the run of `task` (a `Task` or its name); returns the path of
    the new version."""
    task = registry.get(task) if isinstance(task, str) else task
    if not task.exportable:
        raise UsageError(f"--task {task.name}: this task has no serving export")
    if not os.path.exists(os.path.join(run_dir, "model.keras")):  # before any directory is made
        raise UsageError(f"--run-dir {run_dir}: no trained model (model.keras); "
                         "run the train stage first")
    task_dir = os.path.join(export_dir, task.name)
    os.makedirs(task_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=task_dir)
    try:
        saved = os.path.join(staging, "model")
        metadata = task.export(config, run_dir, saved)
        metrics_path = os.path.join(run_dir, "metrics.json")
        metrics = {}
        if os.path.exists(metrics_path):
            with open(metrics_path, encoding="utf-8") as handle:
                metrics = {k: v for k, v in json.load(handle).items()
                           if isinstance(v, (int, float))}
        metadata = {"task": task.name, "run_dir": os.path.abspath(run_dir), "config": config,
                    "metrics": metrics, **metadata}
        atomic.write_json(os.path.join(saved, "assets.extra", "metadata.json"), metadata)
        version = next_version(task_dir)
        final = os.path.join(task_dir, str(version))
        os.rename(saved, final)  # atomic: TF Serving sees all of it or nothing
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
