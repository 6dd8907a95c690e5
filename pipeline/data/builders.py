"""The input side of every task: where a task's examples come from.

`load(task, data=None, data_dir=None)` returns a `TaskData`: the examples of
each split in plain Python form, from the embedded default (a TFDS builder of
`pipeline.datasets`), a user file (`--data PATH`, read by `pipeline.data.sources`)
or a TFDS catalog entry (`--data tfds:NAME`, through `pipeline.data.catalog`).
Splits follow `pipeline.data.splits` in every case, so a file and the default
split the same way.
"""

import dataclasses
import functools

import numpy as np

from pipeline.core.errors import UsageError
from pipeline.data import sources, splits
from pipeline.data.catalog import parse_data_flag

DEFAULT_SERIES = "sunspots"


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


def _numpy_split(builder, split):
    import tensorflow_datasets as tfds

    return tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False))


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------- per task
import pipeline.datasets  # noqa: E402, F401  (registers the builders of the tasks below)


def load_lm(data, data_dir):
    if data is None:
        builder = prepare_builder("pydoc_text", data_dir)
        out = {split: "".join(_text(ex["text"]) for ex in _numpy_split(builder, split))
               for split in splits.SPLITS}
        return TaskData("lm", "pydoc_text", out, metadata=dict(builder.info.metadata))
    kind, value = data
    if kind == "tfds":
        from pipeline.data.catalog import load_catalog

        out = {}
        for split in splits.SPLITS:
            texts = [_text(ex["text"]) for ex in
                     load_catalog(value, split, data_dir=data_dir).as_numpy_iterator()]
            out[split] = "\n".join(texts)
        return TaskData("lm", f"tfds:{value}", out)
    return TaskData("lm", value, split_ordered(sources.read_text(value)))


def load_classify(data, data_dir):
    if data is None:
        builder = prepare_builder("wordfreq_langid", data_dir)
        labels = builder.info.features["label"].names
        out = {split: [(_text(ex["text"]), labels[ex["label"]])
                       for ex in _numpy_split(builder, split)] for split in splits.SPLITS}
        return TaskData("classify", "wordfreq_langid", out, labels=list(labels),
                        metadata=dict(builder.info.metadata))
    kind, value = data
    if kind == "tfds":
        return _classify_catalog(value, data_dir)
    rows = sources.read_labelled(value)
    labels = sorted({label for _, label in rows})
    return TaskData("classify", value, split_keyed(rows), labels=labels)


def _classify_catalog(name, data_dir):
    """A catalog entry with `text` and `label` features (e.g. imdb_reviews):
    its train split is re-split by the keyed rule into train and validation,
    its test split kept as test."""
    from pipeline.data.catalog import load_catalog

    dataset = load_catalog(name, "train", data_dir=data_dir)
    names = _label_names(name, data_dir)
    train = [(_text(ex["text"]), names[int(ex["label"])]) for ex in dataset.as_numpy_iterator()]
    test = [(_text(ex["text"]), names[int(ex["label"])])
            for ex in load_catalog(name, "test", data_dir=data_dir).as_numpy_iterator()]
    keyed = split_keyed(train)
    out = {"train": keyed["train"] + keyed["test"], "validation": keyed["validation"],
           "test": test}
    return TaskData("classify", f"tfds:{name}", out, labels=list(names))


def _label_names(name, data_dir):
    import tensorflow_datasets as tfds

    feature = tfds.builder(name, data_dir=data_dir).info.features["label"]
    return list(feature.names)


def load_forecast(data, data_dir, series=DEFAULT_SERIES, column=None):
    if data is None:
        if series not in ("sunspots", "co2"):
            raise UsageError(f"--set forecast.series={series}: use sunspots or co2 (or --data "
                             "FILE.csv for your own series)")
        builder = prepare_builder("statsmodels_series", data_dir, config=series)
        values = np.concatenate([next(iter(_numpy_split(builder, split)))["value"]
                                 for split in splits.SPLITS]).astype("float64")
        source, metadata = f"statsmodels_series/{series}", dict(builder.info.metadata)
    else:
        kind, value = data
        if kind == "tfds":
            raise UsageError(f"--data tfds:{value}: forecast reads a CSV file with a value "
                             "column")
        from pipeline.datasets.statsmodels_series import fill_missing

        # "" (the config default) means no column named: "value", else the last
        values, filled = fill_missing(sources.read_series_csv(value, column=column or None))
        source, metadata = value, {"interpolated": filled}
    bounds = splits.positional_bounds(len(values))
    return TaskData("forecast", source, bounds, series=values, metadata=metadata)


LOADERS = {"lm": load_lm, "classify": load_classify,
           "forecast": load_forecast}


@functools.lru_cache(maxsize=4)
def _load_cached(task, data, data_dir, options):
    parsed = None if data is None else parse_data_flag(data)
    return LOADERS[task](parsed, data_dir, **dict(options))


def load(task, data=None, data_dir=None, **options):
    """The split examples of `task`.

    Args:
        task: a task with a loader here (`LOADERS`).
        data: None for the embedded default, else the `--data` value
            (`"tfds:NAME"` or a file path).
        data_dir: TFDS data directory (prepared builders are reused).
        Results are cached in the process: treat them as read-only.
        **options: task options (forecast `series`, `column`; synthetic
            `task`, `length`).
    """
    if task not in LOADERS:
        raise UsageError(f"--task: unknown task {task!r}; choose from {', '.join(LOADERS)}")
    # The stages of one `pipeline.run` share one read of the data.
    return _load_cached(task, data, data_dir, tuple(sorted(options.items())))
