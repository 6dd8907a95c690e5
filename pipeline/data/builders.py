"""What every task's data loading shares.

A task's `load_data` (`pipeline/tasks/<task>/data.py`) returns a `TaskData`:
the examples of each split in plain Python form, from the embedded default
(a TFDS builder in the task's `dataset.py`, prepared by `prepare_builder`),
a user file (`--data PATH`, read by `pipeline.data.sources`) or a TFDS
catalog entry (`--data tfds:NAME`, through `pipeline.data.catalog`). Splits
follow `pipeline.data.splits` in every case (`split_keyed`,
`split_ordered`), so a file and the default split the same way.
"""

import dataclasses

import numpy as np

from pipeline.data import splits


@dataclasses.dataclass
class TaskData:
    """The examples of one task, split.

    Attributes:
        task: the task name.
        source: where they came from (a builder, a path, `tfds:NAME`).
        splits: `{split: examples}`; the example form depends on the task:
            g2p `{word: [pronunciation]}`, lm a string, classify a list of
            `(text, label)`, forecast `(start, stop)` bounds into `series`,
            synthetic a `tf.data.Dataset` of `{"inputs", "targets"}`.
        labels: classify: the class names in id order.
        series: forecast: the whole (gap-filled) series, float64.
        metadata: counts worth reporting (dropped words, filled gaps, ...).
    """

    task: str
    source: str
    splits: dict
    labels: list = None
    series: np.ndarray = None
    metadata: dict = dataclasses.field(default_factory=dict)

    def sizes(self):
        """Examples per split (characters for text, targets for series)."""
        def size(value):
            if isinstance(value, tuple):
                return value[1] - value[0]
            if hasattr(value, "cardinality"):
                return int(value.cardinality())
            return len(value)

        return {split: size(value) for split, value in self.splits.items()}


def split_keyed(pairs):
    """`{split: [...]}` of `(key, value)` pairs by `splits.keyed_split(key)`."""
    out = {split: [] for split in splits.SPLITS}
    for key, value in pairs:
        out[splits.keyed_split(key)].append((key, value))
    return out


def split_ordered(sequence):
    """`{split: slice of sequence}` by position (last 5% test, 5% before it
    validation)."""
    bounds = splits.positional_bounds(len(sequence))
    return {split: sequence[start:stop] for split, (start, stop) in bounds.items()}


def prepare_builder(name, data_dir, config=None):
    """Prepares the TFDS builder `name` of embedded data (its module must
    have been imported, which registers it) and returns it. TFDS shows its
    progress bar; its "Downloading and preparing dataset" lines, which mean
    nothing for data that ships with a package, are not printed.

    Preparing holds an exclusive lock on a file beside the dataset's
    directory, so that runs started together prepare it once: TFDS writes
    into a temporary directory and renames it at the end, and the rename of
    a second writer fails once the first has finished. The later runs wait,
    then find the dataset prepared."""
    import contextlib
    import fcntl
    import io
    import os

    import tensorflow_datasets as tfds

    builder = tfds.builder(name, data_dir=data_dir, config=config)
    parent = os.path.dirname(builder.data_dir)  # <data_dir>/<name>[/<config>]
    os.makedirs(parent, exist_ok=True)
    with open(os.path.join(parent, ".prepare.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        builder = tfds.builder(name, data_dir=data_dir, config=config)  # sees a finished copy
        with contextlib.redirect_stdout(io.StringIO()):
            builder.download_and_prepare(
                download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return builder
