"""The classify task's examples (`pipeline.tasks.classify.data`): the
catalog path `--data tfds:imdb_reviews` under `tfds.testing.mock_data`
(words as tokens, the catalog's labels and test split, the baselines), a
user file's splits, the per-process cache and the configured subsets."""

import pytest
import tensorflow_datasets as tfds

from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from pipeline.core.errors import DataError
from pipeline.tasks.classify import data as classify_data
from pipeline.tasks.classify.scoring import baselines
from tests.pipeline.tasks.classify.common import MOCK


def test_prepare_and_baselines_on_mocked_imdb_reviews_with_words(tmp_path):
    """`--data tfds:imdb_reviews --set classify.unit=word` (mocked catalog
    data: no network here): word vocabulary, the catalog's labels and test
    split, and the baselines."""
    config = resolve("classify", "smoke", sets=["classify.unit=word", "data.max_eval=0"])
    with tfds.testing.mock_data(**MOCK):
        task_data, prepared = rundir.prepare(registry.get("classify"), str(tmp_path), config,
                                             data="tfds:imdb_reviews", data_dir=str(tmp_path))
    assert prepared["unit"] == "word" and prepared["sizes"]["test"] == 60
    loaded = classify_data.load_prepared(config, str(tmp_path))
    assert loaded["labels"] == ["neg", "pos"]
    train_words = {w for text, _ in task_data.splits["train"] for w in text.lower().split()}
    assert set(loaded["tokens"]) == train_words
    examples = classify_data.split_examples(task_data, config)
    base = baselines(examples, loaded["labels"], "word", config)
    assert base["naive_bayes"]["order"] == 2
    assert sum(map(sum, base["majority"]["confusion"])) == 60


@pytest.fixture
def labelled(tmp_path):
    """A `text<TAB>label` file of 400 words, two labels."""
    path = tmp_path / "words.tsv"
    rows = [f"word{i}\t{'ab'[i % 2]}" for i in range(400)]
    path.write_text("text\tlabel\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_a_user_file_splits_by_the_text_and_is_read_once(labelled):
    from pipeline.data.splits import keyed_split

    task_data = classify_data.load(labelled)
    assert task_data.source == labelled and task_data.labels == ["a", "b"]
    assert sum(task_data.sizes().values()) == 400
    for split, examples in task_data.splits.items():
        assert {keyed_split(text) for text, _ in examples} <= {split}
    assert classify_data.load(labelled) is task_data  # the stages of one run share it


def test_subsets_follow_the_configuration(labelled):
    config = resolve("classify", "smoke", sets=["data.max_train=5", "data.max_eval=1"])
    examples = classify_data.load_splits(config, labelled)
    assert [len(examples[s]) for s in ("train", "validation", "test")] == [5, 1, 1]
    assert examples == classify_data.load_splits(config, labelled)  # seeded


def test_a_split_without_examples_is_a_data_error(labelled):
    task_data = classify_data.load(labelled)
    empty = type(task_data)("classify", "empty.tsv", {**task_data.splits, "test": []})
    with pytest.raises(DataError, match="no test examples"):
        classify_data.split_examples(empty, resolve("classify", "smoke"))
