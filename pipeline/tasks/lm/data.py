"""The LM task's text: the embedded `pydoc_text` builder (`dataset`), a user
file (`--data FILE`, UTF-8 text) or a TFDS catalog entry with a `text`
feature (`--data tfds:NAME`), split by position (docs/architecture.md
section 3); its character vocabulary, and the splits as character ids."""

import functools
import os

from pipeline.data import builders, sources, splits
from pipeline.data import vocab as vocab_lib
from pipeline.data.catalog import parse_data_flag
from pipeline.tasks.lm import dataset, inputs

VOCABULARY = ("data", "vocab_chars.json")


def joined(examples, separator=""):
    """The `text` features of a `tf.data.Dataset`, decoded and joined."""
    return separator.join(ex["text"].decode("utf-8") for ex in examples.as_numpy_iterator())


@functools.lru_cache(maxsize=4)
def load(data=None, data_dir=None):
    """The `TaskData` of the text (`{split: str}`) of the embedded default
    (`data` None), a file or `tfds:NAME` (cached in the process: the stages
    of one `pipeline.run` share it; treat it as read-only)."""
    if data is None:
        builder = builders.prepare_builder(dataset.PydocText.name, data_dir)  # "pydoc_text"
        out = {split: joined(builder.as_dataset(split=split, shuffle_files=False))
               for split in splits.SPLITS}
        return builders.TaskData("lm", "pydoc_text", out, metadata=dict(builder.info.metadata))
    kind, value = parse_data_flag(data)
    if kind == "tfds":
        from pipeline.data.catalog import load_catalog

        out = {split: joined(load_catalog(value, split, data_dir=data_dir), "\n")
               for split in splits.SPLITS}
        return builders.TaskData("lm", f"tfds:{value}", out)
    return builders.TaskData("lm", value, builders.split_ordered(sources.read_text(value)))


def load_data(config, data=None, data_dir=None):
    return load(data, data_dir)


def texts(task_data, config):
    """The train, validation and test texts, cut to the configured sizes
    (0 = whole split; a cut keeps the start of the split)."""
    d = config["data"]
    cut = {"train": d["max_train_chars"], "validation": d["max_eval_chars"],
           "test": d["max_eval_chars"]}
    return {split: task_data.splits[split][: cut[split] or None] for split in cut}


def load_vocabulary(run_dir):
    """The character vocabulary of a prepared run (`prepare_data`)."""
    return vocab_lib.load_vocabulary(os.path.join(run_dir, *VOCABULARY))


def split_ids(config, vocabulary, names, data=None, data_dir=None):
    """`{split: [N] character ids}` of the splits `names`, cut as `texts` cuts
    them and encoded with `vocabulary`."""
    split_texts = texts(load(data, data_dir), config)
    return {split: inputs.encode_text(split_texts[split], vocabulary) for split in names}


def prepare_data(task_data, config, directory):
    """The character vocabulary of the training text."""
    return vocab_lib.save_vocabularies(
        {"chars": inputs.build_vocabulary(task_data.splits["train"])}, directory)


def describe(task_data, count=3):
    return [repr(task_data.splits["train"][:200])]
