"""Versioned SavedModel exports for TF Serving (`docs/architecture.md`
section 5).

`export` writes `<export-dir>/<task>/<version>/` (version = the next
integer) through the task's `Task.export` into a hidden temporary folder
and renames it into place at the end, so TF Serving never sees a
half-written version. `assets.extra/metadata.json` records the task, the
configuration, the metrics and the run it came from.

Two exports at once each claim their version by the rename itself (the
loser takes the next number), and each holds a lock on its staging folder
while it writes, so a later export removes the folders of exports that
were killed (`remove_stale`). `chunked` wraps a serving function so a
very large request is answered in slices of bounded size.
"""

import errno
import json
import os
import re
import shutil
import tempfile
import time

from pipeline.core import atomic, lock, registry
from pipeline.core.errors import UsageError

STAGING_PREFIX = ".export-"
#: Seconds after which a staging folder without a lock counts as left by a dead export.
STALE_AFTER = 3600


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
    unwrap_variables(archive)
    archive.write_out(directory, verbose=False)


def unwrap_variables(archive):
    """Puts the `tf.Variable` behind each Keras variable in the archive's
    variable lists, so the SavedModel holds each value once.

    Keras 3.15's `ExportArchive` lists the tracked Keras variables and,
    separately (`_all_variables`), the `tf.Variable`s the endpoints read;
    a Keras variable saves its value as a checkpoint entry of its own, so
    every weight was written twice (a model of 1,005,000 parameters left
    2,010,000 values in `variables/`; `tests/pipeline/core/test_export.py`).
    """
    trackable = archive._tf_trackable
    for name in ("variables", "trainable_variables", "non_trainable_variables"):
        setattr(trackable, name, [getattr(variable, "_value", variable)
                                  for variable in getattr(trackable, name)])


def chunked(function, size, batched):
    """`function` (a tf.function of batch-first tensors returning a dict of
    batch-first tensors) run on slices of at most `size` rows of the
    inputs named in `batched`, the answers concatenated, so one request of
    many rows costs the memory of `size` rows. The other inputs (scalars
    such as the lm's `length`) are passed whole; a batch of at most `size`
    rows, the empty batch included, is one call.

    Args:
        function: `(inputs...) -> {name: [B, ...] tensor}`, its inputs named.
        size: the most rows a call answers at once.
        batched: names of the inputs whose first dimension is the batch.
    """
    import inspect

    import tensorflow as tf

    signature = inspect.signature(function)

    def run(*args):
        inputs = dict(zip(signature.parameters, args, strict=True))
        rows = tf.shape(inputs[batched[0]])[0]

        def whole():
            return function(**inputs)

        def sliced():
            first = function(**{name: (value[:size] if name in batched else value)
                                for name, value in inputs.items()})
            arrays = {name: tf.TensorArray(value.dtype, size=0, dynamic_size=True,
                                           infer_shape=False).write(0, value)
                      for name, value in first.items()}

            def body(start, index, arrays):
                stop = tf.minimum(start + size, rows)
                answer = function(**{name: (value[start:stop] if name in batched else value)
                                     for name, value in inputs.items()})
                return stop, index + 1, {name: arrays[name].write(index, answer[name])
                                         for name in arrays}

            _, _, arrays = tf.while_loop(lambda start, index, arrays: start < rows, body,
                                         (tf.constant(size), tf.constant(1), arrays))
            # [B, ...]: the rank and inner sizes of a slice's answer (a
            # signature's outputs need a known rank)
            return {name: tf.ensure_shape(array.concat(), [None, *first[name].shape[1:]])
                    for name, array in arrays.items()}

        return tf.cond(rows <= size, whole, sliced)

    run.__signature__ = signature  # the inputs keep their names in a tf.function's signature
    return run


def next_version(task_dir):
    """1 + the largest integer folder name in `task_dir` (1 when none)."""
    versions = [int(n) for n in os.listdir(task_dir) if re.fullmatch(r"\d+", n)] \
        if os.path.isdir(task_dir) else []
    return max(versions, default=0) + 1


def claim_version(saved, task_dir, attempts=100):
    """Renames the finished SavedModel folder `saved` to the next free
    version of `task_dir` and returns its path. The rename is the claim: it
    fails when another export took the number first (its folder is not
    empty), and the next number is tried."""
    version = next_version(task_dir)
    for _ in range(attempts):
        final = os.path.join(task_dir, str(version))
        try:
            os.rename(saved, final)  # atomic: TF Serving sees all of it or nothing
            return final
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
        version = max(version + 1, next_version(task_dir))
    raise OSError(errno.EEXIST, f"no free version after {attempts} attempts", task_dir)


def remove_stale(task_dir, age=STALE_AFTER):
    """Removes the staging folders (`.export-*`) of exports that died: their
    lock is free (the process holding it is gone), or they hold no lock and
    are older than `age` seconds (left by a version of this module without
    locks)."""
    for name in os.listdir(task_dir):
        path = os.path.join(task_dir, name)
        if not name.startswith(STAGING_PREFIX) or not os.path.isdir(path):
            continue
        lock_path = os.path.join(path, lock.LOCK_NAME)
        if os.path.exists(lock_path):
            fd = lock.try_flock(lock_path)
            if fd is None:
                continue  # an export at work
            os.close(fd)
        elif time.time() - os.path.getmtime(path) < age:
            continue
        shutil.rmtree(path, ignore_errors=True)


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
    remove_stale(task_dir)
    staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=task_dir)
    held = lock.try_flock(os.path.join(staging, lock.LOCK_NAME))  # ours: nobody else has it
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
        return claim_version(saved, task_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(held)
