"""The G2P task's splits (`pipeline.tasks.g2p.data`): a TSV file split by
the word's hash, read once a process, the configured subsets, stress
stripped on request, and `--data tfds:` refused."""

import pytest

from pipeline.core.config import resolve
from pipeline.core.errors import UsageError
from pipeline.data.splits import keyed_split
from pipeline.tasks.g2p import data as g2p_data


@pytest.fixture(scope="module")
def tsv(tmp_path_factory):
    words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(80)]
    path = tmp_path_factory.mktemp("lex") / "lex.tsv"
    path.write_text("".join(f"{w}\tW AH1 N\n{w}\tW AH0 N\n" for w in words), encoding="utf-8")
    return str(path), words


def test_a_file_splits_by_the_words_hash_and_is_read_once(tsv):
    path, words = tsv
    task_data = g2p_data.load(path)
    assert task_data.source == path and task_data.task == "g2p"
    for split, entries in task_data.splits.items():
        assert {keyed_split(word) for word in entries} <= {split}
    assert sorted(w for entries in task_data.splits.values() for w in entries) == sorted(words)
    assert task_data.splits["train"][next(iter(task_data.splits["train"]))] == [
        "W AH1 N", "W AH0 N"]
    assert g2p_data.load(path) is task_data  # the stages of one run share one read


def test_splits_take_the_configured_subsets_and_strip_stress(tsv):
    path, _ = tsv
    config = resolve("g2p", "smoke", sets=["data.max_train_words=5", "data.max_eval_words=2",
                                           "g2p.stress=strip"])
    chosen = g2p_data.load_splits(config, data=path)
    assert [len(chosen[s]) for s in ("train", "validation", "test")] == [5, 2, 2]
    assert all(prons == ["W AH N"] for entries in chosen.values() for prons in entries.values())
    assert g2p_data.load_splits(config, data=path) == chosen  # seeded


def test_a_tfds_catalog_entry_is_refused():
    with pytest.raises(UsageError, match="tfds:imdb_reviews: g2p reads a TSV file"):
        g2p_data.load("tfds:imdb_reviews")
