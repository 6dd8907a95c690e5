"""The LM task's text (`pipeline.tasks.lm.data`): a user file split by
position, read once a process, cut to the configured sizes, and encoded
with the prepared vocabulary."""

from pipeline.core import registry, rundir
from pipeline.core.config import resolve
from pipeline.data.splits import positional_bounds
from pipeline.tasks.lm import data as lm_data

TEXT = "".join(f"line {i:03d}\n" for i in range(400))  # 3,600 characters


def text_file(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT, encoding="utf-8")
    return str(path)


def test_a_file_splits_by_position_and_is_read_once(tmp_path):
    path = text_file(tmp_path)
    task_data = lm_data.load(path)
    assert task_data.source == path and task_data.task == "lm"
    for split, (start, stop) in positional_bounds(len(TEXT)).items():
        assert task_data.splits[split] == TEXT[start:stop]
    assert lm_data.load(path) is task_data  # the stages of one run share one read


def test_texts_keep_the_start_of_each_split(tmp_path):
    config = resolve("lm", "smoke", sets=["data.max_train_chars=100",
                                          "data.max_eval_chars=7"])
    task_data = lm_data.load(text_file(tmp_path))
    texts = lm_data.texts(task_data, config)
    assert {split: len(text) for split, text in texts.items()} == {
        "train": 100, "validation": 7, "test": 7}
    for split, text in texts.items():
        assert task_data.splits[split].startswith(text)


def test_split_ids_encode_with_the_prepared_vocabulary(tmp_path):
    path = text_file(tmp_path)
    config = resolve("lm", "smoke")
    run_dir = str(tmp_path / "run")
    _, prepared = rundir.prepare(registry.get("lm"), run_dir, config, data=path)
    vocabulary = lm_data.load_vocabulary(run_dir)
    assert prepared["vocabularies"] == {"chars": len(vocabulary)}
    assert set(vocabulary) == set(TEXT[:positional_bounds(len(TEXT))["train"][1]])
    ids = lm_data.split_ids(config, vocabulary, ("train", "test"), data=path)
    assert sorted(ids) == ["test", "train"]
    assert [vocabulary[i - 2] for i in ids["test"][:9]] == list(
        lm_data.load(path).splits["test"][:9])  # ids 0, 1: padding, OOV
