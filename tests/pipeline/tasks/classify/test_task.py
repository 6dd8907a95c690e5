"""Classify end to end at the smoke preset: run (prepare, train, evaluate,
export), predict, the export loaded where the project cannot be imported
(docs/architecture.md section 5), the run keys, and the stages on
`tfds:imdb_reviews` under `tfds.testing.mock_data`."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from pipeline import predict as predict_stage
from pipeline import run as run_stage
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError, run_cli
from pipeline.tasks.classify import data as classify_data
from pipeline.tasks.classify import evaluation, members, predict, scoring, server
from tests.pipeline.evaluate_split import evaluate_validation
from tests.pipeline.tasks.classify.common import MOCK
from tests.pipeline.tasks.serving import serve_blocked

LANGUAGES = ("en", "fr", "de", "es")
ODD = ["hello", "", "HELLO", "bonjour tout le monde", "naïve", "dziękuję", "🙂 ∑",
       "x" * 5000, "   "]



@pytest.fixture(scope="module")
def words(tmp_path_factory):
    """150 words of each of four languages from `wordfreq`, as a user TSV."""
    import wordfreq

    path = tmp_path_factory.mktemp("data") / "words.tsv"
    seen, lines = set(), []
    for lang in LANGUAGES:
        kept = [w for w in wordfreq.top_n_list(lang, 600)[200:]
                if w.isalpha() and w not in seen][:150]
        seen.update(kept)
        lines += [f"{word}\t{lang}" for word in kept]
    path.write_text("text\tlabel\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def smoke_run(words, tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    run_dir, export_dir = str(base / "run"), str(base / "saved")
    args = ["--task", "classify", "--preset", "smoke", "--data", words, "--run-dir", run_dir,
            "--export-dir", export_dir]
    assert run_stage.main(args) == 0
    return run_dir, os.path.join(export_dir, "classify", "1")


def test_evaluate_validation_split(smoke_run, words):
    run_dir, _ = smoke_run
    metrics = evaluate_validation("classify", run_dir, "--data", words)
    examples = classify_data.load_splits(resolve("classify", "smoke"), words)
    assert metrics["split"] == "validation" and metrics["texts"] == len(examples["validation"])
    assert sum(map(sum, metrics["confusion"])) == len(examples["validation"])
    assert sum(map(sum, metrics["baselines"]["naive_bayes"]["confusion"])) \
        == len(examples["validation"])
    assert os.path.exists(os.path.join(run_dir, "validation", "plots", "confusion_matrix.png"))


def test_run_writes_metrics_plots_and_an_export(smoke_run):
    run_dir, export = smoke_run
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    for key in ("accuracy", "macro_f1", "baseline_majority_accuracy", "baseline_nb_accuracy",
                "baseline_nb_macro_f1", "baseline_linear_accuracy", "baseline_linear_macro_f1",
                "combined_accuracy", "combined_macro_f1", "combined_weight"):
        assert 0.0 <= metrics[key] <= 1.0
    linear = metrics["baselines"]["linear_ngram"]
    assert linear["analyzer"] == "char_wb" and [linear["ngram_range"], linear["C"]] in [
        [row["ngram_range"], row["C"]] for row in linear["grid"]]
    assert metrics["baseline_linear_accuracy"] == linear["accuracy"]
    # the weights that scored the best on validation: network, n-gram LMs, linear
    rows = metrics["combined"]["validation"]
    assert len(rows) == 66
    chosen = max(rows, key=lambda r: (r["accuracy"], -r["weights"][0], -r["weights"][1]))
    assert metrics["combined"]["members"] == ["network", "ngram_lm", "linear"]
    assert metrics["combined_weights"] == dict(zip(metrics["combined"]["members"],
                                                   chosen["weights"], strict=True))
    assert metrics["combined_weight"] == chosen["weights"][0]
    ngram_lm = metrics["baselines"]["ngram_lm"]
    assert metrics["baseline_ngram_lm_accuracy"] == ngram_lm["accuracy"]
    assert 0.0 <= metrics["baseline_classical_accuracy"] <= 1.0
    assert metrics["baselines"]["classical"]["members"] == ["ngram_lm", "linear"]
    assert sorted(metrics["labels"]) == sorted(LANGUAGES)
    confusion = np.array(metrics["confusion"])
    assert confusion.shape == (4, 4) and confusion.sum() == metrics["texts"] > 0
    assert np.trace(confusion) == round(metrics["accuracy"] * metrics["texts"])
    # Four balanced classes: the majority class is right about a quarter of the time,
    # and character n-grams tell these languages apart far better than that.
    assert metrics["baseline_majority_accuracy"] < 0.45
    assert metrics["baseline_nb_accuracy"] > metrics["baseline_majority_accuracy"] + 0.15
    assert metrics["baseline_linear_accuracy"] > metrics["baseline_majority_accuracy"] + 0.15
    plots = os.listdir(os.path.join(run_dir, "plots"))
    assert {"confusion_matrix.png", "confusion_matrix_combined.png", "attention.png",
            "learning_curves.png"} <= set(plots)
    with open(os.path.join(export, "assets.extra", "metadata.json"), encoding="utf-8") as handle:
        metadata = json.load(handle)
    assert metadata["task"] == "classify" and "macro_f1" in metadata["metrics"]
    assert metadata["labels"] == metrics["labels"] and metadata["unit"] == "char"
    assert metadata["model"]["ngram_order"] >= 2  # the smoke preset reads hashed n-grams


def test_export_signature_is_design_section_5(smoke_run):
    _, export = smoke_run
    serve = tf.saved_model.load(export).signatures["serving_default"]
    (spec,) = serve.structured_input_signature[1].values()
    assert list(serve.structured_input_signature[1]) == ["text"]
    assert spec.dtype == tf.string and spec.shape.as_list() == [None]
    outputs = serve.structured_outputs
    assert sorted(outputs) == ["label", "probabilities"]
    assert outputs["label"].dtype == tf.string and outputs["label"].shape.as_list() == [None]
    assert outputs["probabilities"].dtype == tf.float32
    assert outputs["probabilities"].shape.as_list() == [None, 4]
    graph = serve.graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for fn in graph.library.function for node in fn.node_def}
    assert not [op for op in ops if "Cudnn" in op]


def test_export_loads_without_the_project_and_matches_in_process(smoke_run):
    run_dir, export = smoke_run
    (served,) = serve_blocked(export, {"text": ODD})["answers"]
    config = resolve("classify", "smoke")
    served_by, prepared = server.server_for(config, run_dir, combined=True)
    labels, probabilities = server.predict(served_by, ODD)
    assert served["label"] == labels
    np.testing.assert_allclose(served["probabilities"], probabilities, atol=1e-5)
    probs = np.array(served["probabilities"])
    assert probs.shape == (len(ODD), 4) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert set(served["label"]) <= set(prepared["labels"])
    assert served["probabilities"][0] == pytest.approx(served["probabilities"][2])  # case


def test_the_export_serves_the_combination_evaluate_reports(smoke_run, words):
    """The served probabilities are `sum_k w_k P_k` of the network and the
    classical models evaluate stored, and they score the test split as
    `combined_accuracy` says."""
    run_dir, export = smoke_run
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    with open(os.path.join(export, "assets.extra", "metadata.json"), encoding="utf-8") as handle:
        metadata = json.load(handle)
    weights = metrics["combined_weights"]
    assert metadata["weights"] == {name: w for name, w in weights.items()
                                   if name == "network" or w > 0}
    config = resolve("classify", "smoke")
    network, _ = server.server_for(config, run_dir)
    combined, _ = server.server_for(config, run_dir, combined=True)
    stored_weights, models = members.load(run_dir)
    assert stored_weights == weights and set(models) == {n for n in weights
                                                        if n != "network" and weights[n] > 0}
    assert models  # the smoke network is weak: the classical models get weight
    texts = ["hello", "bonjour tout le monde", "", "x" * 5000, "naïve"]
    joined = scoring.joined([(t, None) for t in texts], "char", config["data"]["max_length"])[0]
    expected = weights["network"] * server.predict(network, texts)[1] + sum(
        weights[name] * model.predict_proba(joined) for name, model in models.items())
    (served,) = serve_blocked(export, {"text": texts})["answers"]
    np.testing.assert_allclose(served["probabilities"], expected, atol=1e-5)
    test = classify_data.load_splits(config, words)["test"]
    labels, _ = server.predict(combined, [t for t, _ in test])
    assert np.mean([p == y for p, (_, y) in zip(labels, test, strict=True)]) == \
        pytest.approx(metrics["combined_accuracy"])


def test_export_bench_scores_what_evaluate_reports(smoke_run, words, tmp_path, capsys):
    """`bench.classify_export` asks the export (the project blocked) for
    every test text: its accuracy is evaluate's `combined_accuracy`."""
    from bench import classify_export

    run_dir, export = smoke_run
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    out = tmp_path / "bench.json"
    report = classify_export.main([export, "--preset", "smoke", "--data", words,
                                   "--latency-texts", "3", "--json", str(out)])
    assert report[1]["accuracy"] == pytest.approx(metrics["combined_accuracy"])
    assert report[1]["macro_f1"] == pytest.approx(metrics["combined_macro_f1"])
    assert 0 < report[1]["p50_ms"] <= report[1]["p99_ms"] and report[1]["texts_per_second"] > 0
    assert json.loads(out.read_text(encoding="utf-8")) == report
    assert "| trivial signature" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        classify_export.main([str(tmp_path)])
    assert exit_info.value.code == 2 and "metadata.json" in capsys.readouterr().err


def test_a_network_retrained_after_evaluate_is_served_alone(smoke_run, tmp_path):
    run_dir, _ = smoke_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    assert members.load(str(copy)) is not None
    with open(copy / "model.keras", "ab") as handle:  # another network than evaluate saw
        handle.write(b"\0")
    assert members.load(str(copy)) is None


def test_predict_lines_and_inference_batch(smoke_run, words):
    run_dir, _ = smoke_run
    config = resolve("classify", "smoke")
    lines = predict.predict_lines(config, run_dir, ["hello", "bonjour"])
    rows = [line.split("\t") for line in lines]
    assert [r[0] for r in rows] == ["hello", "bonjour"]
    assert all(r[1] in LANGUAGES and 0.0 < float(r[2]) <= 1.0 for r in rows)
    infer, count = evaluation.inference_batch(config, run_dir, data=words)
    labels, probabilities = infer()
    assert labels.shape == (count,) and probabilities.shape == (count, 4) and count > 0


def test_a_run_prepared_with_another_unit_is_refused(smoke_run):
    run_dir, _ = smoke_run
    config = resolve("classify", "smoke", sets=["classify.unit=word"])
    with pytest.raises(UsageError, match="classify.unit=char"):
        predict.predict_lines(config, run_dir, ["hello"])


@pytest.mark.parametrize("stage", ["predict", "evaluate", "export"])
def test_a_stage_refuses_another_max_length_than_the_run_trained_with(smoke_run, words, stage,
                                                                      tmp_path, capsys):
    """Before, `--set data.max_length=3` on a run trained with 400 was taken:
    predict and the export cut texts to 3 tokens the model never saw cut."""
    import importlib

    run_dir, _ = smoke_run
    args = ["--task", "classify", "--preset", "smoke", "--data", words, "--run-dir", run_dir,
            "--export-dir", str(tmp_path / "saved"), "--set", "data.max_length=3"]
    main = importlib.import_module(f"pipeline.{stage}").main
    assert run_cli(main, args + (["hello"] if stage == "predict" else [])) == 2
    trained = resolve("classify", "smoke")["data"]["max_length"]
    assert capsys.readouterr().err.strip() == (
        f"error: --set data.max_length=3: {run_dir} was trained with "
        f"data.max_length={trained}; pass that or use another --run-dir")
    assert not (tmp_path / "saved").exists()


def test_predict_refuses_bytes_that_are_not_utf8(smoke_run, capsys):
    """Python keeps undecodable bytes of argv and stdin as lone surrogates,
    which TensorFlow cannot convert: one line naming the input instead."""
    run_dir = smoke_run[0]
    args = ["--task", "classify", "--preset", "smoke", "--run-dir", run_dir, "ok", "a\udcffb"]
    assert run_cli(predict_stage.main, args) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: input 2: not valid UTF-8 (character 2); expected UTF-8 text"


# -------------------------------------------------------- tfds:imdb_reviews
def test_the_comparison_runs_on_mocked_imdb_reviews_with_words(tmp_path):
    """`pipeline.run --data tfds:imdb_reviews --set classify.unit=word` on the
    mocked catalog entry: the network, naive Bayes, the linear word n-gram
    model and the combination, scored on the catalog's own test split."""
    run_dir = str(tmp_path / "run")
    args = ["--task", "classify", "--preset", "smoke", "--data", "tfds:imdb_reviews",
            "--data-dir", str(tmp_path), "--run-dir", run_dir, "--export-dir",
            str(tmp_path / "saved"), "--set", "classify.unit=word", "--set", "data.max_eval=0",
            "--set", "data.max_length=50"]
    with tfds.testing.mock_data(**MOCK):
        assert run_stage.main(args) == 0
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    assert metrics["labels"] == ["neg", "pos"] and metrics["unit"] == "word"
    assert metrics["texts"] == MOCK["num_examples"]  # the catalog's own test split
    assert metrics["baselines"]["linear_ngram"]["analyzer"] == "word"
    for key in ("macro_f1", "baseline_nb_macro_f1", "baseline_linear_macro_f1",
                "combined_macro_f1"):
        assert 0.0 <= metrics[key] <= 1.0


@pytest.mark.parametrize("monitor, mode", [("val_loss", "min"), ("val_accuracy", "max")])
def test_train_monitor_sets_what_the_checkpoint_follows(smoke_run, words, monitor, mode):
    """`train.monitor=val_accuracy` keeps the epoch of the best validation
    accuracy, the figure the task reports, rather than of the lowest loss."""
    from pipeline.tasks.classify import model

    run_dir, _ = smoke_run
    config = resolve("classify", "smoke", sets=[f"train.monitor={monitor}"])
    recipe = model.recipe(config, run_dir, words)
    assert (recipe.monitor, recipe.mode) == (monitor, mode)


def test_an_unknown_monitor_is_refused(smoke_run, words, capsys):
    from pipeline import train

    run_dir, _ = smoke_run
    args = ["--task", "classify", "--preset", "smoke", "--data", words, "--run-dir", run_dir,
            "--set", "train.monitor=val_wer"]
    assert run_cli(train.main, args) == 2
    assert "train.monitor" in capsys.readouterr().err
