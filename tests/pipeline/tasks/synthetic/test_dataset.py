"""The `synthetic` TFDS builder (`pipeline.tasks.synthetic.dataset`) on small
configurations: its configs, features and sizes, that each split is the
generator with its own seed, and the targets of each problem."""

import numpy as np
import pytest
import tensorflow as tf

from pipeline.tasks.synthetic.dataset import (
    GENERATORS,
    SPLIT_SEEDS,
    Synthetic,
    SyntheticConfig,
    synthetic_config,
)
from tests.pipeline.tasks.builder_test import num_examples, prepare, read_splits

SMALL = {"train_size": 24, "eval_size": 8}


def build_synthetic(tmp_path_factory, task, length):
    config = synthetic_config(task, length, **SMALL)
    builder = prepare(Synthetic(config=config, data_dir=tmp_path_factory.mktemp(task)))
    return builder, read_splits(builder)


@pytest.fixture(scope="module")
def adding(tmp_path_factory):
    return build_synthetic(tmp_path_factory, "adding", 12)


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    return build_synthetic(tmp_path_factory, "copy", 5)


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    return build_synthetic(tmp_path_factory, "parity", 9)


def test_synthetic_predefined_configs():
    names = [config.name for config in Synthetic.BUILDER_CONFIGS]
    assert names == [f"{task}_t{t}" for task in ("adding", "copy", "parity")
                     for t in (10, 50, 100, 200)]
    assert all(isinstance(config, SyntheticConfig) for config in Synthetic.BUILDER_CONFIGS)
    with pytest.raises(ValueError, match="task"):
        synthetic_config("sorting", 10)


@pytest.mark.parametrize(
    "task, length, shapes, dtype",
    [
        ("adding", 12, {"inputs": (12, 2), "targets": (1,)}, tf.float32),
        ("copy", 5, {"inputs": (25,), "targets": (25,)}, tf.int32),  # length + 2 * 10
        ("parity", 9, {"inputs": (9,), "targets": (9,)}, tf.int32),
    ],
)
def test_synthetic_features_and_sizes(request, task, length, shapes, dtype):
    builder, examples = request.getfixturevalue(task)
    assert builder.info.features.shape == shapes
    assert builder.info.features.dtype == {"inputs": dtype, "targets": dtype}
    assert builder.info.supervised_keys == ("inputs", "targets")
    assert num_examples(builder) == {"train": 24, "validation": 8, "test": 8}
    assert {split: len(items) for split, items in examples.items()} == num_examples(builder)
    for items in examples.values():
        for example in items:
            assert {key: value.shape for key, value in example.items()} == shapes


@pytest.mark.parametrize("task", ["adding", "copy", "parity"])
def test_synthetic_splits_are_the_generator_with_the_split_seed(request, task):
    """Each split is `GENERATORS[task](size, length, seed=SPLIT_SEEDS[split])`,
    so the data are the same on every machine and no split repeats another."""
    builder, examples = request.getfixturevalue(task)
    length = builder.builder_config.length
    for split, items in examples.items():
        size = num_examples(builder)[split]
        inputs, targets = GENERATORS[task](size, length, seed=SPLIT_SEEDS[split])
        expected = sorted(zip(inputs.tolist(), targets.tolist(), strict=True))
        got = sorted((ex["inputs"].tolist(), ex["targets"].tolist()) for ex in items)
        assert got == expected
    first = {split: items[0]["inputs"].tobytes() for split, items in examples.items()}
    assert len(set(first.values())) == 3


def test_synthetic_is_deterministic_across_builds(adding, tmp_path):
    builder, examples = adding
    again = prepare(Synthetic(config=builder.builder_config, data_dir=tmp_path))
    for split, items in read_splits(again).items():
        assert len(items) == len(examples[split])
        for ex, first in zip(items, examples[split], strict=True):
            np.testing.assert_array_equal(ex["inputs"], first["inputs"])
            np.testing.assert_array_equal(ex["targets"], first["targets"])


def test_adding_targets_are_the_sum_of_the_two_marked_values(adding):
    _, examples = adding
    length, half = 12, 6
    for items in examples.values():
        for ex in items:
            values, markers = ex["inputs"][:, 0], ex["inputs"][:, 1]
            assert ((values >= 0) & (values < 1)).all()
            marked = np.flatnonzero(markers)
            assert set(np.unique(markers)) <= {0.0, 1.0}
            assert len(marked) == 2
            assert marked[0] < half <= marked[1] < length  # one in each half
            assert ex["targets"][0] == pytest.approx(values[marked].sum(), abs=1e-6)


def test_parity_targets_are_the_parity_of_the_bits_so_far(parity):
    _, examples = parity
    for items in examples.values():
        for ex in items:
            bits = ex["inputs"].tolist()
            assert set(bits) <= {0, 1}
            assert ex["targets"].tolist() == [sum(bits[: t + 1]) % 2 for t in range(len(bits))]


def test_copy_targets_repeat_the_symbols_after_the_delimiter(copy):
    _, examples = copy
    length, remember, symbols = 5, 10, 8
    delimiter_at = remember + length - 1
    for items in examples.values():
        for ex in items:
            inputs, targets = ex["inputs"], ex["targets"]
            data = inputs[:remember]
            assert ((data >= 1) & (data <= symbols)).all()
            assert (inputs[remember:delimiter_at] == 0).all()  # length - 1 blanks
            assert inputs[delimiter_at] == symbols + 1  # the delimiter
            assert (inputs[delimiter_at + 1:] == 0).all()  # remember blanks
            assert (targets[:-remember] == 0).all()  # blanks until the delimiter is read
            np.testing.assert_array_equal(targets[-remember:], data)
