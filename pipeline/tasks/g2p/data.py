"""The G2P task's splits: `{word: [pronunciation]}` from the `cmudict_g2p`
builder (`dataset`) or a TSV file `word<TAB>phonemes`, the subsets the
configuration asks for, and the vocabularies prepare fits on the training
split."""

import functools
import os

import numpy as np

from pipeline.core import rundir
from pipeline.core.errors import UsageError
from pipeline.data import builders, sources
from pipeline.data import vocab as vocab_lib
from pipeline.data.catalog import parse_data_flag
from pipeline.data.splits import SPLITS
from pipeline.tasks.g2p import dataset, inputs  # noqa: F401  (dataset: registers the builder)

VOCABULARIES = ("graphemes", "phonemes")


def read_entries(builder, split):
    """`{word: [pronunciation]}` of a `cmudict_g2p` split, read in large
    ragged batches (one example at a time is five times slower)."""
    entries = {}
    examples = builder.as_dataset(split=split, shuffle_files=False).ragged_batch(8192)
    for batch in examples.as_numpy_iterator():
        prons_batch = batch["phonemes"]  # ragged, or an array when all rows are equal
        prons_batch = getattr(prons_batch, "to_list", prons_batch.tolist)()
        for word, prons in zip(batch["word"], prons_batch, strict=True):
            entries[text(word)] = [text(p) for p in prons]
    return entries


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@functools.lru_cache(maxsize=4)
def load(data=None, data_dir=None, phones="arpabet", max_length=48):
    """The `TaskData` of CMUdict (`data` None) or of the TSV file `data`
    whose pronunciations use the phone set `phones` (`config.PHONE_SETS`),
    with words and pronunciations longer than `max_length` cut (`cut`;
    cached in the process: the stages of one `pipeline.run` share it;
    treat it as read-only)."""
    if data is None:
        builder = builders.prepare_builder("cmudict_g2p", data_dir)
        out = {split: read_entries(builder, split) for split in SPLITS}
        metadata = dict(builder.info.metadata)
        source = "cmudict_g2p"
    else:
        kind, source = parse_data_flag(data)
        if kind == "tfds":
            raise UsageError(f"--data tfds:{source}: g2p reads a TSV file "
                             "'word<TAB>phonemes'; no TFDS catalog entry has that form")
        entries = sources.read_g2p_tsv(source, sources.ARPABET if phones == "arpabet" else None)
        out = {split: dict(items) for split, items in builders.split_keyed(entries.items()).items()}
        metadata = {}
    out, count = cut(out, max_length)
    return builders.TaskData("g2p", source, out, metadata={**metadata, "cut_words": count})


def cut(splits, max_length):
    """`(splits, count)`: every word cut to `max_length` characters and
    every pronunciation to `max_length` phonemes, and the number of
    entries cut, so one huge line of a file cannot blow up training
    (the export cuts what it reads at `decode.max_input_length` too)."""
    count = 0
    out = {}
    for split, entries in splits.items():
        out[split] = {}
        for word, prons in entries.items():
            short = [" ".join(p.split()[:max_length]) for p in prons]
            if len(word) > max_length or short != prons:
                count += 1
            kept = out[split].setdefault(word[:max_length], [])
            kept.extend(p for p in short if p not in kept)
    return out, count


def load_data(config, data=None, data_dir=None):
    return load(data, data_dir, config["g2p"]["phones"], config["data"]["max_word_length"])


def subset(entries, limit, seed):
    """At most `limit` words of `entries` (0 = all), a seeded random choice."""
    if not limit or limit >= len(entries):
        return entries
    words = sorted(entries)
    chosen = np.random.default_rng(seed).choice(len(words), size=limit, replace=False)
    return {words[i]: entries[words[i]] for i in sorted(chosen)}


def splits(task_data, config):
    """The train, validation and test entries the configuration asks for;
    with `g2p.stress=strip` all without stress."""
    d = config["data"]
    chosen = {
        "train": subset(task_data.splits["train"], d["max_train_words"], d["seed"]),
        "validation": subset(task_data.splits["validation"], d["max_eval_words"], d["seed"]),
        "test": subset(task_data.splits["test"], d["max_eval_words"], d["seed"]),
    }
    if config["g2p"]["stress"] == "strip":
        chosen = {name: inputs.without_stress(entries) for name, entries in chosen.items()}
    return chosen


def load_splits(config, data=None, data_dir=None):
    """`splits` of the data `--data` names."""
    return splits(load_data(config, data, data_dir), config)


def check_prepared(config, run_dir):
    """Raises a UsageError if the run was prepared with another `g2p.stress`
    than the configuration asks for (runs prepared before the option kept it)."""
    rundir.check_prepared_option(run_dir, "g2p.stress", config["g2p"]["stress"], default="keep")


def prepare_data(task_data, config, directory):
    """The grapheme and phoneme vocabularies of the training split (without
    stress digits when `g2p.stress` is "strip")."""
    train = task_data.splits["train"]
    if config["g2p"]["stress"] == "strip":
        train = inputs.without_stress(train)
    return vocab_lib.save_vocabularies(inputs.build_vocabularies(train), directory)


def load_vocabularies(run_dir):
    """`{"graphemes": [...], "phonemes": [...]}` that prepare wrote."""
    return {name: vocab_lib.load_vocabulary(os.path.join(run_dir, "data", f"vocab_{name}.json"))
            for name in VOCABULARIES}


def describe(task_data, count=3):
    train = task_data.splits["train"]
    return [f"{word} -> {' | '.join(train[word])}" for word in list(train)[:count]]
