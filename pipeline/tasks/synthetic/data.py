"""The synthetic task's splits: the `synthetic` TFDS builder (`dataset`) at
the configured problem and length, generated on this machine."""

import functools

from pipeline.core.errors import UsageError
from pipeline.data import builders, splits
from pipeline.tasks.synthetic import dataset


@functools.lru_cache(maxsize=4)
def load(problem, length, data_dir=None):
    """The `TaskData` of one problem at one length (cached in the process:
    the stages of one `pipeline.run` share it; treat it as read-only)."""
    name = f"{problem}_t{length}"
    predefined = any(c.name == name for c in dataset.Synthetic.BUILDER_CONFIGS)
    config = name if predefined else dataset.synthetic_config(problem, length)
    builder = builders.prepare_builder("synthetic", data_dir, config=config)
    out = {split: builder.as_dataset(split=split, shuffle_files=False)
           for split in splits.SPLITS}
    return builders.TaskData("synthetic", f"synthetic/{name}", out)


def load_data(config, data=None, data_dir=None):
    if data is not None:
        raise UsageError("--data: the synthetic task generates its data; choose it with "
                         "--set synthetic.problem=copy --set synthetic.length=100")
    s = config["synthetic"]
    return load(s["problem"], s["length"], data_dir)


def load_splits(config, data=None, data_dir=None):
    """`{split: tf.data.Dataset}` of `{"inputs", "targets"}`, cut to
    `data.max_train` / `data.max_eval` examples."""
    d = config["data"]
    out = {}
    for split, examples in load_data(config, data, data_dir).splits.items():
        limit = d["max_train"] if split == "train" else d["max_eval"]
        out[split] = examples.take(limit) if limit else examples
    return out


def as_arrays(examples):
    """`(inputs, targets)` NumPy arrays of a whole split."""
    batch = next(iter(examples.batch(1 << 20).as_numpy_iterator()))
    return batch["inputs"], batch["targets"]


def describe(task_data, count=3):
    return [f"inputs {ex['inputs'].shape}, targets {ex['targets'].shape}"
            for ex in task_data.splits["train"].take(1).as_numpy_iterator()]
