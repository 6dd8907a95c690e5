"""The classify task's examples: `(text, label)` pairs of each split, from
the embedded `wordfreq_langid` builder (`dataset`), a user file (`--data
my.tsv`, `text,label` rows) or a TFDS catalog entry with `text` and `label`
features (`--data tfds:imdb_reviews`); and the vocabularies the prepare
stage fits on the training texts."""

import functools
import os

import numpy as np

from pipeline.core.errors import DataError
from pipeline.core.rundir import check_prepared_option
from pipeline.data import builders, sources, splits
from pipeline.data import vocab as vocab_lib
from pipeline.data.catalog import load_catalog, parse_data_flag
from pipeline.tasks.classify import dataset, inputs


def embedded(data_dir):
    """The `wordfreq_langid` words, prepared into `data_dir` if needed."""
    builder = builders.prepare_builder(dataset.WordfreqLangid.name, data_dir)
    labels = builder.info.features["label"].names
    out = {split: [(ex["text"].decode("utf-8"), labels[ex["label"]]) for ex in
                   builder.as_dataset(split=split, shuffle_files=False).as_numpy_iterator()]
           for split in splits.SPLITS}
    return builders.TaskData("classify", builder.name, out, labels=list(labels),
                             metadata=dict(builder.info.metadata))


def catalog(name, data_dir):
    """A catalog entry with `text` and `label` features (e.g. imdb_reviews):
    its train split is re-split by the keyed rule into train and validation,
    its test split kept as test."""
    names = label_names(name, data_dir)

    def pairs(split):
        return [(ex["text"].decode("utf-8"), names[int(ex["label"])])
                for ex in load_catalog(name, split, data_dir=data_dir).as_numpy_iterator()]

    keyed = builders.split_keyed(pairs("train"))
    out = {"train": keyed["train"] + keyed["test"], "validation": keyed["validation"],
           "test": pairs("test")}
    return builders.TaskData("classify", f"tfds:{name}", out, labels=list(names))


def label_names(name, data_dir):
    import tensorflow_datasets as tfds

    feature = tfds.builder(name, data_dir=data_dir).info.features["label"]
    return list(feature.names)


@functools.lru_cache(maxsize=4)
def load(data=None, data_dir=None):
    """The `TaskData` of the embedded words (`data` None), a `text,label` file
    or `tfds:NAME` (cached in the process: the stages of one `pipeline.run`
    share one read; treat it as read-only)."""
    if data is None:
        return embedded(data_dir)
    kind, value = parse_data_flag(data)
    if kind == "tfds":
        return catalog(value, data_dir)
    rows = sources.read_labelled(value)
    labels = sorted({label for _, label in rows})
    return builders.TaskData("classify", value, builders.split_keyed(rows), labels=labels)


def subset(examples, limit, seed):
    """At most `limit` examples (0 = all), a seeded random choice in order."""
    if not limit or limit >= len(examples):
        return examples
    chosen = np.random.default_rng(seed).choice(len(examples), size=limit, replace=False)
    return [examples[i] for i in sorted(chosen)]


def split_examples(task_data, config):
    """The train, validation and test examples the configuration asks for."""
    d = config["data"]
    out = {"train": subset(task_data.splits["train"], d["max_train"], d["seed"])}
    for split in ("validation", "test"):
        out[split] = subset(task_data.splits[split], d["max_eval"], d["seed"])
    for split, examples in out.items():
        if not examples:
            raise DataError(task_data.source, f"no {split} examples; classify needs train, "
                            "validation and test texts (see the split rule in "
                            "pipeline/tasks/classify/README.md)")
    return out


def load_splits(config, data=None, data_dir=None):
    """`split_examples` of the data `--data` names."""
    return split_examples(load(data, data_dir), config)


def prepare_data(task_data, config, directory):
    """The token vocabulary of the training texts and the labels."""
    train = task_data.splits["train"]
    tokens = inputs.build_vocabulary([text for text, _ in train],
                                     unit=config["classify"]["unit"])
    return vocab_lib.save_vocabularies({"tokens": tokens, "labels": task_data.labels},
                                       directory)


def load_prepared(config, run_dir):
    """`{"tokens": [...], "labels": [...], "unit": str}` of a prepared run.

    Raises:
        UsageError: the run was prepared with another `classify.unit` than
            the configuration asks for.
    """
    data_dir = os.path.join(run_dir, "data")
    unit = check_prepared_option(run_dir, "classify.unit", config["classify"]["unit"])
    return {name: vocab_lib.load_vocabulary(os.path.join(data_dir, f"vocab_{name}.json"))
            for name in ("tokens", "labels")} | {"unit": unit}


def describe(task_data, count=3):
    return [f"{label}: {text[:70]!r}" for text, label in task_data.splits["train"][:count]]
