"""The `pydoc_text` TFDS builder (`pipeline.tasks.lm.dataset`) on fake text:
one example per split, split by position."""

import pytest
import tensorflow as tf

from pipeline.data.splits import positional_bounds
from pipeline.tasks.lm.dataset import PydocText
from tests.pipeline.tasks.builder_test import num_examples, prepare, read_splits, text

FAKE_TEXT = "".join(f"line {i:03d}\n" for i in range(40))  # 360 characters


@pytest.fixture(scope="module")
def pydoc(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("pydoc")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PydocText, "source", staticmethod(lambda: FAKE_TEXT))
        builder = prepare(PydocText(data_dir=data_dir))
    return builder, read_splits(builder)


def test_pydoc_text_splits_by_position(pydoc):
    builder, examples = pydoc
    assert num_examples(builder) == {"train": 1, "validation": 1, "test": 1}
    assert builder.info.features.dtype == {"text": tf.string}
    parts = {split: text(items[0]["text"]) for split, items in examples.items()}
    bounds = positional_bounds(len(FAKE_TEXT))
    assert bounds == {"train": (0, 324), "validation": (324, 342), "test": (342, 360)}
    assert {split: len(part) for split, part in parts.items()} == {
        "train": 324, "validation": 18, "test": 18}  # the last 5%, and 5% before it
    for split, (start, stop) in bounds.items():
        assert parts[split] == FAKE_TEXT[start:stop]
    assert parts["train"] + parts["validation"] + parts["test"] == FAKE_TEXT
    assert builder.info.metadata["characters"] == 360
