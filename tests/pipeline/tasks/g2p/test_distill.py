"""Sequence-level distillation (`--set distill.teacher=EXPORT`) at the smoke
preset: the teacher export's answers for the training words written into
the run directory, resumably; the student trained on them, exported, and
loaded where the project cannot be imported."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from pipeline import export as export_stage
from pipeline import run as run_stage
from pipeline import train as train_stage
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError, run_cli
from pipeline.tasks.g2p import data as g2p_data
from pipeline.tasks.g2p import distill
from pipeline.tasks.g2p.model import check_config
from tests.pipeline.tasks.serving import serve_blocked

STUDENT = os.path.join(os.path.dirname(distill.__file__), "student.json")


@pytest.fixture(scope="module")
def teacher(lexicon, tmp_path_factory):
    """The export of a smoke run: the teacher."""
    base = tmp_path_factory.mktemp("teacher")
    args = ["--task", "g2p", "--preset", "smoke", "--data", lexicon,
            "--run-dir", str(base / "run"), "--export-dir", str(base / "saved")]
    assert run_stage.main(args) == 0
    return str(base / "saved" / "g2p" / "1")


#: the rule of `spelling_teacher`: a letter's phoneme (others are K)
LETTERS = {"a": "AE1", "e": "EH1", "i": "IH1", "o": "AA1", "u": "AH1", "b": "B", "d": "D",
           "f": "F", "g": "G", "l": "L", "m": "M", "n": "N", "p": "P", "r": "R", "s": "S",
           "t": "T", "v": "V", "z": "Z"}


def spell(word):
    return " ".join(LETTERS.get(c, "K") for c in word)


@pytest.fixture(scope="module")
def spelling_teacher(tmp_path_factory):
    """A stand-in teacher export that answers every word letter by letter
    (`spell`), so its answers differ from the references and are known."""
    path = str(tmp_path_factory.mktemp("spelling") / "1")
    keys, values = zip(*LETTERS.items(), strict=True)
    module = tf.Module()
    module.table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(list(keys), list(values)), "K")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def serve(words):
        letters = tf.strings.unicode_split(words, "UTF-8")
        phonemes = tf.ragged.map_flat_values(module.table.lookup, letters)
        return {"phonemes": tf.strings.reduce_join(phonemes, axis=1, separator=" "),
                "score": tf.zeros(tf.shape(words), tf.float32)}

    tf.saved_model.save(module, path, signatures={"serving_default": serve})
    os.makedirs(os.path.join(path, "assets.extra"))
    with open(os.path.join(path, "assets.extra", "metadata.json"), "w",
              encoding="utf-8") as handle:
        json.dump({"task": "g2p", "stress": "keep"}, handle)
    return path


def teacher_answers(export, words):
    serve = tf.saved_model.load(export).signatures["serving_default"]
    answers = serve(words=tf.constant(words))["phonemes"].numpy()
    return {w: a.decode() for w, a in zip(words, answers, strict=True)}


def test_student_learns_the_teachers_answers_and_its_export_serves(teacher, lexicon, tmp_path):
    """The student's recipe (`student.json`, one epoch here) from the smoke
    teacher's export; its export decodes a small request compiled."""
    run_dir, export_dir = str(tmp_path / "student"), str(tmp_path / "saved")
    common = ["--task", "g2p", "--preset", "smoke", "--data", lexicon, "--run-dir", run_dir,
              "--config", STUDENT, "--set", "train.epochs=1", "--set", "distill.extra_words=20"]
    assert train_stage.main([*common, "--set", f"distill.teacher={teacher}"]) == 0
    config = resolve("g2p", "smoke")
    splits = g2p_data.load_splits(config, data=lexicon)
    targets = distill.read_targets(os.path.join(run_dir, "distill", distill.TARGETS))
    # every training word and 20 words of no split, no validation or test word,
    # went to the teacher
    extra = set(targets) - set(splits["train"])
    assert set(splits["train"]) <= set(targets) and len(extra) == 20
    assert not extra & {*splits["validation"], *splits["test"]}
    assert targets == teacher_answers(teacher, sorted(targets))
    with open(os.path.join(run_dir, "train_history.json"), encoding="utf-8") as handle:
        assert "val_wer" in json.load(handle)  # train.monitor=auto follows the WER
    assert not os.path.exists(os.path.join(run_dir, "distill", distill.TARGETS + ".partial"))
    assert export_stage.main([*common, "--export-dir", export_dir]) == 0  # no teacher needed
    assert resolve("g2p", "smoke", config_file=STUDENT)["decode"]["xla_batch"] == 16
    (answer,) = serve_blocked(os.path.join(export_dir, "g2p", "1"),
                              {"words": ["hello", ""]})["answers"]
    assert answer["phonemes"][1] == "" and len(answer["phonemes"]) == 2


def test_the_training_entries_are_the_teachers_answers(spelling_teacher, lexicon, tmp_path):
    config = resolve("g2p", "smoke", sets=[f"distill.teacher={spelling_teacher}"])
    train = g2p_data.load_splits(config, data=lexicon)["train"]
    phonemes = sorted({*LETTERS.values(), "K"})
    alone = distill.distilled(config, str(tmp_path), train, phonemes)
    assert alone == {w: [spell(w)] for w in train}
    config["distill"]["references"] = True
    both = distill.distilled(config, str(tmp_path), train, phonemes)
    assert both == {w: list(dict.fromkeys([*train[w], spell(w)])) for w in train}
    config["g2p"]["stress"] = "strip"  # the teacher's stress digits go too
    assert distill.distilled(config, str(tmp_path), {"ape": ["EY P"]}, ["AE", "P", "EH"]) == \
        {"ape": ["EY P", "AE P EH"]}


def test_extra_words_are_frequent_unknown_words_in_the_alphabet():
    """wordfreq's English list begins "the to and of a in i is for that";
    known words, longer words and words with other letters are passed over."""
    letters = list("abcdefghijklmnopqrstuvwxyz")
    assert distill.extra_words(5, {"the", "and", "to"}, letters, 2) == ["of", "a", "in", "i",
                                                                        "is"]
    assert distill.extra_words(2, set(), [c for c in letters if c != "o"], 3) == ["the", "and"]
    assert distill.extra_words(0, set(), letters, 2) == []


def test_extra_words_join_with_the_teachers_answers(spelling_teacher, lexicon, tmp_path):
    """The extra words are learned with the teacher's answers; the answers a
    run already holds for its training words are kept, not asked again."""
    config = resolve("g2p", "smoke", sets=[f"distill.teacher={spelling_teacher}"])
    train = dict(list(g2p_data.load_splits(config, data=lexicon)["train"].items())[:4])
    phonemes = sorted({*LETTERS.values(), "K", "XX"})
    directory = tmp_path / distill.DIRECTORY
    directory.mkdir()
    identity = distill.teacher_identity(spelling_teacher)
    (directory / "teacher.json").write_text(json.dumps(identity), encoding="utf-8")
    (directory / distill.TARGETS).write_text("".join(f"{w}\tXX\n" for w in sorted(train)),
                                              encoding="utf-8")
    out = distill.distilled(config, str(tmp_path), train, phonemes, extra=["zebra", "mango"])
    assert out == {**{w: ["XX"] for w in train}, "zebra": [spell("zebra")],
                   "mango": [spell("mango")]}
    assert not (directory / (distill.TARGETS + ".partial")).exists()


def test_extra_words_need_a_teacher_to_train_not_to_evaluate(teacher, lexicon, tmp_path):
    """The student's configuration keeps `distill.extra_words`; its later
    stages run without the teacher's flag."""
    from pipeline.tasks.g2p.model import recipe

    config = resolve("g2p", "smoke", sets=["distill.extra_words=10"])
    check_config(config)  # what evaluate and export check
    run_dir = str(tmp_path / "run")
    assert run_stage.main(["--task", "g2p", "--preset", "smoke", "--data", lexicon,
                           "--run-dir", run_dir, "--export-dir", str(tmp_path / "saved")]) == 0
    with pytest.raises(UsageError, match="distill.teacher"):
        recipe(config, run_dir, data=lexicon)


def test_a_phoneme_outside_the_vocabulary_is_a_usage_error(spelling_teacher, tmp_path):
    config = resolve("g2p", "smoke", sets=[f"distill.teacher={spelling_teacher}"])
    with pytest.raises(UsageError, match="AE1"):
        distill.distilled(config, str(tmp_path), {"bat": ["B AE1 T"]}, ["B", "T"])


def test_a_killed_run_resumes_the_teacher_targets(spelling_teacher, lexicon, tmp_path):
    """A kill that cut a line leaves the `.partial` file; the next run keeps
    the whole lines, asks again for the rest, and gets the same targets."""
    config = resolve("g2p", "smoke", sets=[f"distill.teacher={spelling_teacher}"])
    words = sorted(g2p_data.load_splits(config, data=lexicon)["train"])
    expected = {w: spell(w) for w in words}
    directory = tmp_path / distill.DIRECTORY
    directory.mkdir()
    identity = distill.teacher_identity(spelling_teacher)
    (directory / "teacher.json").write_text(json.dumps(identity), encoding="utf-8")
    done = "".join(f"{w}\t{expected[w]}\n" for w in words[:5])
    cut = f"{words[5]}\tXX"  # a line a kill cut short, no newline
    (directory / (distill.TARGETS + ".partial")).write_text(done + cut, encoding="utf-8")
    assert distill.teacher_targets(config, str(tmp_path), words) == expected
    lines = (directory / distill.TARGETS).read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(words) and "XX" not in lines[5]


def test_another_teacher_starts_the_targets_over(spelling_teacher, lexicon, tmp_path):
    config = resolve("g2p", "smoke", sets=[f"distill.teacher={spelling_teacher}"])
    words = sorted(g2p_data.load_splits(config, data=lexicon)["train"])[:3]
    directory = tmp_path / distill.DIRECTORY
    directory.mkdir()
    (directory / "teacher.json").write_text('{"export": "elsewhere"}', encoding="utf-8")
    (directory / distill.TARGETS).write_text("".join(f"{w}\tXX\n" for w in words),
                                              encoding="utf-8")
    assert distill.teacher_targets(config, str(tmp_path), words) == {w: spell(w) for w in words}


@pytest.mark.parametrize("case", ["missing", "strip"])
def test_a_teacher_that_does_not_fit_exits_2(case, teacher, lexicon, tmp_path, capsys):
    flags = ["--set", f"distill.teacher={tmp_path / 'nowhere'}"]
    if case == "strip":  # an export that answers without stress, a student that keeps it
        metadata = os.path.join(teacher, "assets.extra", "metadata.json")
        text = open(metadata, encoding="utf-8").read()
        fake = tmp_path / "fake"
        (fake / "assets.extra").mkdir(parents=True)
        (fake / "saved_model.pb").write_bytes(b"")
        (fake / "assets.extra" / "metadata.json").write_text(
            text.replace('"stress": "keep"', '"stress": "strip"'), encoding="utf-8")
        flags = ["--set", f"distill.teacher={fake}"]
    run_dir = tmp_path / "student"
    code = run_cli(train_stage.main, ["--task", "g2p", "--preset", "smoke", "--data", lexicon,
                                      "--run-dir", str(run_dir), *flags])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "distill.teacher" in err[0]
    assert ("g2p.stress=strip" in err[0]) == (case == "strip")
    assert not run_dir.exists()


def test_check_teacher_rejects_an_export_of_another_task(teacher, tmp_path):
    fake = tmp_path / "lm"
    (fake / "assets.extra").mkdir(parents=True)
    (fake / "saved_model.pb").write_bytes(b"")
    (fake / "assets.extra" / "metadata.json").write_text('{"task": "lm"}', encoding="utf-8")
    with pytest.raises(UsageError, match="lm task"):
        distill.check_teacher(str(fake), resolve("g2p", "smoke"))


def teacher_run(teacher):
    """The run directory of the `teacher` fixture's export."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(teacher))), "run")


def test_soft_targets_are_the_teachers_mean_distribution_on_each_batch(teacher, lexicon):
    from pipeline.tasks.g2p import decoding, inputs

    run = teacher_run(teacher)
    config = resolve("g2p", "smoke", sets=[f"distill.soft_runs={run},{run}"])
    vocabularies = g2p_data.load_vocabularies(run)
    train = g2p_data.load_splits(config, data=lexicon)["train"]
    batches = inputs.batches(inputs.as_dataset(train), vocabularies, batch_size=8)  # in order
    features, packed = next(iter(distill.with_soft_targets(config, run, vocabularies,
                                                           batches)))
    _, targets = next(iter(batches))
    model, _ = decoding.load_trained(run)
    probs = tf.nn.softmax(model(features, training=False)).numpy()
    assert packed.shape == (*targets.shape, 1 + probs.shape[-1])
    assert (packed[..., 0].numpy() == targets.numpy()).all()
    np.testing.assert_allclose(packed[..., 1:].numpy(), probs, atol=1e-6)


def test_a_student_trains_with_soft_targets_and_saves_a_plain_model(teacher, lexicon, tmp_path):
    from pipeline.core import training

    run_dir = str(tmp_path / "student")
    flags = ["--task", "g2p", "--preset", "smoke", "--data", lexicon, "--run-dir", run_dir,
             "--set", f"distill.soft_runs={teacher_run(teacher)}",
             "--set", "distill.soft_weight=0.7", "--set", f"distill.teacher={teacher}"]
    assert train_stage.main(flags) == 0
    model = training.load_trained(run_dir)
    assert type(model).__name__ == "Seq2Seq"
    with open(os.path.join(run_dir, "train_history.json"), encoding="utf-8") as handle:
        assert np.isfinite(json.load(handle)["loss"]).all()


def test_soft_runs_of_the_other_direction_or_missing_exit_2(teacher, lexicon, tmp_path,
                                                            capsys):
    cases = [(["g2p.direction=r2l"], "g2p.direction"), ([], "holds no trained model")]
    for extra, named in cases:
        run = teacher_run(teacher) if extra else str(tmp_path / "nowhere")
        sets = [f"distill.soft_runs={run}", *extra]
        flags = ["--task", "g2p", "--preset", "smoke", "--data", lexicon,
                 "--run-dir", str(tmp_path / named[:4]),
                 *[arg for s in sets for arg in ("--set", s)]]
        assert run_cli(train_stage.main, flags) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "distill.soft_runs" in err[0] and named in err[0]
