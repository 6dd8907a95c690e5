"""G2P end to end at the smoke preset: run (prepare, train, evaluate,
export), predict, and the export loaded where the project cannot be
imported (docs/architecture.md section 5); ensembles, rescoring in both
directions and the learned reranker."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from pipeline import run as run_stage
from pipeline import train as train_stage
from pipeline.core import export as export_lib
from pipeline.core import registry
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError, run_cli
from pipeline.tasks.g2p import data as g2p_data
from pipeline.tasks.g2p import decoding
from pipeline.tasks.g2p import model as g2p_model
from pipeline.tasks.g2p.rescoring import JOINT_FLOOR
from pipeline.tasks.g2p.server import G2PServer
from tests.pipeline.ensemble_runs import perturbed_copy
from tests.pipeline.evaluate_split import evaluate_validation
from tests.pipeline.tasks.serving import serve_blocked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
ODD = ["hello", "", "HeLLo", "o'neil", "x-ray!", "42", "naïve", "a" * 300, "\x00x", "\ufffdx"]



@pytest.fixture(scope="module")
def smoke_run(lexicon, tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    run_dir, export_dir = str(base / "run"), str(base / "saved")
    args = ["--task", "g2p", "--preset", "smoke", "--data", lexicon, "--run-dir", run_dir,
            "--export-dir", export_dir]
    assert run_stage.main(args) == 0
    return run_dir, export_dir


def test_run_writes_metrics_plots_and_a_versioned_export(smoke_run):
    run_dir, export_dir = smoke_run
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    for key in ("wer", "per", "wer_no_stress", "per_no_stress"):
        assert 0.0 <= metrics[key] <= 1.0 or key.startswith("per")
    assert metrics["words"] > 0
    # the smoke preset's beam of 2: the oracle is at most the top-1 WER
    assert metrics["nbest"] == 2
    assert metrics["oracle_wer_no_stress"] <= metrics["wer_no_stress"]
    assert os.listdir(os.path.join(run_dir, "plots"))
    assert os.path.isdir(os.path.join(run_dir, "logs"))
    assert sorted(os.listdir(os.path.join(export_dir, "g2p"))) == ["1"]
    with open(os.path.join(export_dir, "g2p", "1", "assets.extra", "metadata.json"),
              encoding="utf-8") as handle:
        metadata = json.load(handle)
    assert metadata["task"] == "g2p" and "wer" in metadata["metrics"]


@pytest.fixture(scope="module")
def other_run(smoke_run, tmp_path_factory):
    return perturbed_copy(smoke_run[0], tmp_path_factory.mktemp("other") / "run")


def served_words(path, words):
    """The export's answers for `words` (`{"phonemes", "score"}`), from a
    process that cannot import the project."""
    (answer,) = serve_blocked(path, {"words": words})["answers"]
    return answer


def test_export_loads_without_the_project_and_matches_in_process(smoke_run):
    run_dir, export_dir = smoke_run
    served = served_words(os.path.join(export_dir, "g2p", "1"), ODD)
    local = decoding.predict_words(resolve("g2p", "smoke"), run_dir, ODD)
    assert served["phonemes"] == [p for _, p, _ in local]
    assert served["score"] == pytest.approx([s for _, _, s in local], abs=1e-4)
    assert served["phonemes"][1] == "" and served["score"][1] == 0.0  # empty word
    assert served["phonemes"][0] == served["phonemes"][2]  # case-insensitive
    # NUL is an unknown character like U+FFFD, and the x after it is read
    assert served["score"][-2] == served["score"][-1] != 0.0


def test_a_large_request_is_decoded_in_slices_with_the_same_answers(smoke_run):
    """The export decodes `SERVING_CHUNK` words at a time; slices of 3 words
    answer as one whole batch does."""
    from pipeline.tasks.g2p.export import serving_endpoint

    server = decoding.make_served(resolve("g2p", "smoke"), smoke_run[0])
    words = tf.constant(ODD)
    whole = serving_endpoint(server, chunk=len(ODD))(words)
    sliced = serving_endpoint(server, chunk=3)(words)
    assert sliced["phonemes"].numpy().tolist() == whole["phonemes"].numpy().tolist()
    np.testing.assert_allclose(sliced["score"].numpy(), whole["score"].numpy(), atol=1e-4)


def test_a_large_request_decodes_in_chunks_of_similar_length_with_the_same_answers(
        smoke_run, lexicon):
    """More than `LENGTH_CHUNK` words decode sorted by length in chunks cut
    to their longest word; the answers, in the request's order, are the
    whole batch's."""
    from pipeline.tasks.g2p.server import LENGTH_CHUNK

    config = resolve("g2p", "smoke")
    server = decoding.make_server(config, smoke_run[0])
    words = sorted(g2p_data.load_splits(config, data=lexicon)["train"])[: 2 * LENGTH_CHUNK + 7]
    words = list(np.random.default_rng(0).permutation([*words, *ODD]))
    ids, _ = server.encode_words(tf.constant(words))
    chunked = tf.function(server.decode_any, autograph=False)(ids)
    whole = tf.function(server._decode_ids, autograph=False)(ids)
    assert chunked[0].shape[1] == config["decode"]["max_length"]
    np.testing.assert_array_equal(chunked[0][:, : whole[0].shape[1]], whole[0])
    np.testing.assert_array_equal(chunked[2], whole[2])
    np.testing.assert_allclose(chunked[1], whole[1], atol=1e-4)


def test_export_answers_batches_of_empty_words_and_of_none(smoke_run):
    """A batch whose every word is empty encodes to zero time steps: empty
    answers, score 0; a batch of no words, no answers. (A NUL character is
    an unknown character, not an empty word: see the test above.)"""
    _, export_dir = smoke_run
    path = os.path.join(export_dir, "g2p", "1")
    requests = [{"words": [""]}, {"words": ["", "", ""]}, {"words": []}]
    answers = serve_blocked(path, *requests)["answers"]
    assert answers == [{"phonemes": [""], "score": [0.0]},
                       {"phonemes": ["", "", ""], "score": [0.0] * 3},
                       {"phonemes": [], "score": []}]


def test_export_wer_bench_scores_the_served_answers(smoke_run, lexicon, capsys):
    """`bench.g2p_export_wer` serves the export with the project blocked and
    scores what the in-process server answers."""
    from bench import g2p_export_wer
    from pipeline.tasks.g2p.scoring import score_all

    export = os.path.join(smoke_run[1], "g2p", "1")
    report = g2p_export_wer.main([export, "--preset", "smoke", "--data", lexicon])
    entries = g2p_data.load_splits(resolve("g2p", "smoke"), data=lexicon)["test"]
    words = sorted(entries)
    local = score_all({w: p for w, p, _ in decoding.predict_words(resolve("g2p", "smoke"),
                                                              smoke_run[0], words)}, entries)
    scores = ("wer", "per", "wer_no_stress", "per_no_stress")
    assert report["words"] == len(words) > 0
    assert [report[k] for k in scores] == [local[k] for k in scores]
    assert json.loads(capsys.readouterr().out)["wer"] == local["wer"]


def test_serving_bench_times_the_export_beside_the_trivial_call(smoke_run, lexicon, tmp_path,
                                                                 capsys):
    """`bench.g2p_serving` times each export and a trivial signature in one
    process without the project, and reports the export's size."""
    from bench import g2p_serving

    export = os.path.join(smoke_run[1], "g2p", "1")
    out = tmp_path / "serving.json"
    report = g2p_serving.main([export, export, "--data", lexicon, "--latency-words", "3",
                               "--json", str(out)])
    assert [row["export"] for row in report][1:] == [export, export]
    assert report[0]["size_mb"] == "-"
    size = g2p_serving.size_mb(export)
    assert size > 0 and float(report[1]["size_mb"]) == pytest.approx(size, abs=0.051)
    for row in report:
        assert 0 < row["p50_ms"] <= row["p99_ms"] and row["words_per_second"] > 0
    assert json.loads(out.read_text(encoding="utf-8")) == report
    assert "| trivial signature" in capsys.readouterr().out
    # as a command: the table on stdout, nothing on stderr, exit 0
    done = subprocess.run([sys.executable, "-m", "bench.g2p_serving", export, "--data", lexicon,
                           "--latency-words", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stderr == "" and "| trivial" in done.stdout


def test_serving_bench_rejects_a_directory_without_a_savedmodel(tmp_path, capsys):
    from bench import g2p_serving

    with pytest.raises(SystemExit) as exit_info:
        g2p_serving.main([str(tmp_path)])
    assert exit_info.value.code == 2 and "saved_model.pb" in capsys.readouterr().err


def test_export_has_no_device_specific_ops(smoke_run):
    _, export_dir = smoke_run
    loaded = tf.saved_model.load(os.path.join(export_dir, "g2p", "1"))
    graph = loaded.signatures["serving_default"].graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for fn in graph.library.function for node in fn.node_def}
    assert not [op for op in ops if "Cudnn" in op]


def test_second_export_is_version_2(smoke_run):
    run_dir, export_dir = smoke_run
    path = export_lib.export("g2p", resolve("g2p", "smoke"), run_dir, export_dir)
    assert os.path.basename(path) == "2"
    assert not [n for n in os.listdir(os.path.join(export_dir, "g2p")) if n.startswith(".")]


def test_evaluate_validation_split_leaves_the_test_result(smoke_run, lexicon):
    run_dir, _ = smoke_run
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        test_result = handle.read()
    metrics = evaluate_validation("g2p", run_dir, "--data", lexicon,
                                  "--set", "decode.beam_width=1")
    validation = g2p_data.load_splits(resolve("g2p", "smoke"), data=lexicon)["validation"]
    assert metrics["words"] == len(validation) > 0
    assert metrics["split"] == "validation" and metrics["decode"]["beam_width"] == 1
    assert {e["word"] for e in metrics["errors"]} <= set(validation)
    assert os.listdir(os.path.join(run_dir, "validation", "plots"))
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        assert handle.read() == test_result


def test_predict_cli_reads_stdin(smoke_run):
    run_dir, _ = smoke_run
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.predict", "--task", "g2p", "--preset", "smoke",
         "--run-dir", run_dir], input="cat\ndog\n", cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert [r[0] for r in rows] == ["cat", "dog"] and all(len(r) == 3 for r in rows)


def test_fixed_length_export_compiles_with_xla_and_answers_the_same(smoke_run, tmp_path):
    run_dir, _ = smoke_run
    config = resolve("g2p", "smoke", sets=["decode.xla=true", "decode.max_input_length=24"])
    path = export_lib.export("g2p", config, run_dir, str(tmp_path))
    loaded = tf.saved_model.load(path)
    graph = loaded.signatures["serving_default"].graph.as_graph_def()
    compiled = [fn for fn in graph.library.function
                if fn.attr["_XlaMustCompile"].b]
    assert compiled, "no function of the export is marked for XLA"
    # Static shapes inside XLA: the character ids are [None, 24].
    words = [w[:24] for w in ODD]
    out = loaded.signatures["serving_default"](words=tf.constant(ODD))
    local = decoding.predict_words(resolve("g2p", "smoke"), run_dir, words)
    assert [p.decode() for p in out["phonemes"].numpy()] == [p for _, p, _ in local]
    assert out["score"].numpy().tolist() == pytest.approx([s for _, _, s in local], abs=1e-4)
    # a batch without a character (the encoder's zero-step branch) answers too
    empty = loaded.signatures["serving_default"](words=tf.constant(["", ""]))
    assert empty["phonemes"].numpy().tolist() == [b"", b""]


def test_small_batches_decode_compiled_and_answer_as_the_plain_graph(smoke_run, tmp_path):
    """`decode.xla_batch=4`: a request of at most 4 words runs the XLA copy
    of the search, a larger one the plain graph; both answer as the plain
    export does, served without the project."""
    run_dir, _ = smoke_run
    config = resolve("g2p", "smoke", sets=["decode.xla_batch=4"])
    path = export_lib.export("g2p", config, run_dir, str(tmp_path))
    graph = tf.saved_model.load(path).signatures["serving_default"].graph.as_graph_def()
    assert any(fn.attr["_XlaMustCompile"].b for fn in graph.library.function)
    requests = [{"words": ODD}, *({"words": ODD[i : i + 3]} for i in range(0, len(ODD), 3))]
    *answers, empty, none = serve_blocked(path, *requests, {"words": [""]},
                                          {"words": [], "__batch__": 0})["answers"]
    assert empty == {"phonemes": [""], "score": [0.0]}
    assert none == {"phonemes": [], "score": []}
    local = decoding.predict_words(resolve("g2p", "smoke"), run_dir, ODD)
    for answer in (answers[0], {k: sum((a[k] for a in answers[1:]), []) for k in answers[0]}):
        assert answer["phonemes"] == [p for _, p, _ in local]
        assert answer["score"] == pytest.approx([s for _, _, s in local], abs=1e-4)


def test_ensemble_step_is_the_mean_of_the_models_log_probabilities(smoke_run, other_run):
    config = resolve("g2p", "smoke", sets=[f"ensemble.runs={other_run}"])
    server = decoding.make_server(config, smoke_run[0])
    assert len(server.models) == 2
    ids, _ = server.encode_words(tf.constant(["cat", "dog"]))
    state = tuple(m.initial_decoder_state(ids) for m in server.models)
    start = tf.fill([2], server.start_id)
    got, new_state = server.step(start, state, tf.constant(0))
    singles = [tf.nn.log_softmax(m.decoder_step(start, s, tf.constant(0))[0]).numpy()
               for m, s in zip(server.models, state, strict=True)]
    allowed = server.forbidden.numpy() == 0
    np.testing.assert_allclose(got.numpy()[:, allowed], np.mean(singles, 0)[:, allowed],
                               rtol=1e-5, atol=1e-5)
    assert not np.allclose(singles[0], singles[1], atol=1e-3)  # two different models
    assert len(new_state) == 2


def export_matches_in_process(config, run_dir, directory):
    """Exports the run with `config`, checks that a process that cannot
    import the project gets the in-process answers for `ODD`, and returns
    the export's metadata."""
    path = export_lib.export("g2p", config, run_dir, str(directory))
    served = served_words(path, ODD)
    local = decoding.predict_words(config, run_dir, ODD)
    assert served["phonemes"] == [p for _, p, _ in local]
    assert served["score"] == pytest.approx([s for _, _, s in local], abs=1e-4)
    with open(os.path.join(path, "assets.extra", "metadata.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_ensemble_export_loads_without_the_project_and_matches_in_process(
        smoke_run, other_run, tmp_path):
    config = resolve("g2p", "smoke", sets=[f"ensemble.runs={other_run}"])
    metadata = export_matches_in_process(config, smoke_run[0], tmp_path)
    assert len(metadata["ensemble"]["models"]) == 1


def test_ensemble_of_a_missing_or_foreign_run_is_a_usage_error(smoke_run, other_run, tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(UsageError, match="ensemble.runs: .*missing holds no trained model"):
        decoding.make_server(resolve("g2p", "smoke", sets=[f"ensemble.runs={missing}"]),
                        smoke_run[0])
    foreign = str(tmp_path / "foreign")
    shutil.copytree(other_run, foreign)
    vocabulary = os.path.join(foreign, "data", "vocab_phonemes.json")
    with open(vocabulary, encoding="utf-8") as handle:
        phonemes = json.load(handle)
    with open(vocabulary, "w", encoding="utf-8") as handle:
        json.dump(phonemes[::-1], handle)
    with pytest.raises(UsageError, match="other vocabularies"):
        decoding.make_server(resolve("g2p", "smoke", sets=[f"ensemble.runs={foreign}"]),
                        smoke_run[0])


def test_compare_writes_a_report_with_one_row_per_variant(lexicon, tmp_path):
    from pipeline import compare

    reports = tmp_path / "reports"
    assert compare.main(["--task", "g2p", "--preset", "smoke", "--data", lexicon,
                         "--models", "luong,none", "--run-dir", str(tmp_path / "runs"),
                         "--reports-dir", str(reports)]) == 0
    text = (reports / "g2p.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| luong") or
            line.startswith("| none")]
    assert len(rows) == 2
    assert (reports / "g2p" / "wer_no_stress.png").exists()
    assert (reports / "g2p" / "val_loss.png").exists()


def test_compare_rejects_an_unknown_variant(tmp_path):
    from pipeline import compare

    with pytest.raises(UsageError, match="unknown variant"):
        compare.main(["--task", "g2p", "--preset", "smoke", "--models", "luong,lstm",
                      "--run-dir", str(tmp_path)])


def test_stress_marginal_step_sums_each_vowels_stress_variants(smoke_run):
    config = resolve("g2p", "smoke", sets=["decode.stress_marginal=true"])
    server, plain = decoding.make_server(config, smoke_run[0]), decoding.make_server(
        resolve("g2p", "smoke"), smoke_run[0])
    ids, _ = server.encode_words(tf.constant(["cat", "dog"]))
    state = (server.model.initial_decoder_state(ids),)
    start = tf.fill([2], server.start_id)
    joint = server.step(start, state, tf.constant(0))[0].numpy()
    probs = np.exp(plain.step(start, state, tf.constant(0))[0].numpy())  # [2, V]
    classes = np.array(server.stress_classes)
    for name in ("AH", "IY", "K"):
        members = np.flatnonzero(classes == name)
        kept = members[joint[:, members].argmax(-1)]  # the emitted variant, per row
        assert (kept == members[probs[:, members].argmax(-1)]).all()
        np.testing.assert_allclose(np.exp(joint[[0, 1], kept]), probs[:, members].sum(-1),
                                   rtol=1e-4)
    answers = decoding.predict_words(config, smoke_run[0], ["cat", "hello"])
    assert all(p for _, p, _ in answers)


def test_stress_strip_trains_and_scores_without_stress(lexicon, tmp_path):
    """Also trains with label smoothing (`models.losses`, tested there)."""
    run_dir = str(tmp_path / "run")
    flags = ["--task", "g2p", "--preset", "smoke", "--data", lexicon, "--run-dir", run_dir,
             "--export-dir", str(tmp_path / "saved"), "--set", "g2p.stress=strip",
             "--set", "train.label_smoothing=0.1"]
    assert run_stage.main(flags) == 0
    with open(os.path.join(run_dir, "data", "vocab_phonemes.json"), encoding="utf-8") as handle:
        phonemes = json.load(handle)
    assert "AH" in phonemes and not any(p[-1].isdigit() for p in phonemes)
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    assert metrics["wer"] is None and metrics["per"] is None
    assert 0.0 <= metrics["wer_no_stress"] <= 1.0
    with open(tmp_path / "saved" / "g2p" / "1" / "assets.extra" / "metadata.json",
              encoding="utf-8") as handle:
        assert json.load(handle)["stress"] == "strip"
    # the run's stress setting must be passed again; another one is refused
    with pytest.raises(UsageError, match="prepared with g2p.stress=strip"):
        registry.get("g2p").evaluate(resolve("g2p", "smoke"), run_dir, data=lexicon)


@pytest.mark.parametrize(("flags", "named"), [
    (["g2p.stress=drop"], "g2p.stress=drop"),
    (["train.label_smoothing=1"], "train.label_smoothing=1"),
    (["g2p.direction=up"], "g2p.direction=up"),
    (["rerank.weight=2"], "rerank.weight=2"),
    (["rerank.runs=elsewhere", "decode.beam_width=1"], "rerank.runs"),
    (["rerank.propose=true"], "rerank.propose"),
    (["rerank.joint_order=9"], "rerank.joint_order=9"),
    (["rerank.learned=true", "decode.xla=true"], "rerank.learned=true"),
    (["rerank.learned=true", "decode.xla_batch=8"], "decode.xla_batch=0"),
    (["distill.teacher=nowhere"], "distill.teacher=nowhere"),
])
def test_bad_g2p_option_exits_2_before_writing(flags, named, tmp_path, capsys):
    run_dir = tmp_path / "run"
    sets = [arg for flag in flags for arg in ("--set", flag)]
    assert run_cli(run_stage.main, ["--task", "g2p", "--preset", "smoke", "--run-dir",
                                    str(run_dir), *sets]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err
    assert not run_dir.exists()


@pytest.fixture(scope="module")
def r2l_run(lexicon, tmp_path_factory):
    """A smoke run trained right to left (`g2p.direction=r2l`)."""
    run_dir = str(tmp_path_factory.mktemp("r2l") / "run")
    assert train_stage.main(["--task", "g2p", "--preset", "smoke", "--data", lexicon,
                             "--run-dir", run_dir, "--set", "g2p.direction=r2l"]) == 0
    return run_dir


def answers(server, words):
    return [p.decode() for p in server(tf.constant(words))[0].numpy()]


def test_r2l_training_reads_reversed_pronunciations(lexicon, tmp_path, monkeypatch):
    seen = {}

    def capture(config, vocabularies, entries):
        seen.update(entries)
        raise KeyboardInterrupt  # stop before training

    monkeypatch.setattr(g2p_model, "training_batches", capture)
    config = resolve("g2p", "smoke", sets=["g2p.direction=r2l"])
    with pytest.raises(KeyboardInterrupt):
        registry.get("g2p").train(config, str(tmp_path / "run"), data=lexicon)
    forward = g2p_data.load_splits(resolve("g2p", "smoke"), data=lexicon)
    for split in ("train", "validation"):
        word = sorted(forward[split])[0]
        assert seen[split][word] == [" ".join(p.split()[::-1]) for p in forward[split][word]]


def test_r2l_run_answers_in_reading_order(r2l_run):
    config = resolve("g2p", "smoke")
    server = decoding.make_server(config, r2l_run)
    assert decoding.trained_direction(r2l_run) == "r2l" and server.reverse
    raw = G2PServer(server.model, g2p_data.load_vocabularies(r2l_run), **config["decode"])
    words = ["cat", "hello", "abacus", "o'neil"]
    assert answers(server, words) == [" ".join(p.split()[::-1]) for p in answers(raw, words)]
    nbest, raw_nbest = server.nbest(tf.constant(words))[0], raw.nbest(tf.constant(words))[0]
    assert nbest.numpy().shape == (4, 2)
    assert [[p.decode() for p in row] for row in nbest.numpy()] == [
        [" ".join(p.decode().split()[::-1]) for p in row] for row in raw_nbest.numpy()]


def agreement_score(server, ids, tokens):
    """The mean of the left-to-right model's and the right-to-left
    reranker's log-probabilities of `tokens` (phoneme ids in reading order)
    for the word `ids [1, S]`, over the length penalty (smoke: T = 12)."""
    from models.decoding import length_penalty

    n, ended = len(tokens), len(tokens) < 12
    pair = [m.sequence_log_probs(ids, tf.constant([list(y)], tf.int32), tf.constant([n]),
                                 server.start_id, server.end_id, tf.constant([ended]),
                                 server.forbidden).numpy()[0]
            for m, y in ((server.model, tokens), (server.rerank_models[0], tokens[::-1]))]
    return np.mean(pair) / length_penalty(n + ended, 0.6).numpy()


def test_rerank_scores_with_both_directions(smoke_run, r2l_run):
    """The reranked answer is the beam's hypothesis with the best mean of the
    two models' log-probabilities (the right-to-left one reading it
    backwards) over the length penalty."""
    config = resolve("g2p", "smoke", sets=[f"rerank.runs={r2l_run}", "rerank.weight=0.5"])
    server = decoding.make_server(config, smoke_run[0])
    assert server.rerank_reverse == [True]
    words = ["cat", "hello", "abacus", "zebra", "o'neil"]
    ids, _ = server.encode_words(tf.constant(words))
    state = (server.model.initial_decoder_state(ids),)
    hyps, _, lengths = server.decoder(server.step, state, tf.fill([len(words)], server.start_id))
    hyps, lengths = hyps.numpy(), lengths.numpy()
    assert hyps.shape[2] == 12  # decode.max_length of the smoke preset
    want = []
    for b in range(len(words)):
        totals = [agreement_score(server, ids[b : b + 1], hyps[b, k, : lengths[b, k]])
                  for k in range(hyps.shape[1])]
        best = hyps[b, int(np.argmax(totals)), : lengths[b, int(np.argmax(totals))]]
        want.append(" ".join(p.decode() for p in server.phone_names(tf.constant(best)).numpy()))
    assert answers(server, words) == want


def finite_nbest(server, words):
    """Each word's `(phonemes, score)` n-best entries with a finite score."""
    phonemes, scores = server.nbest(tf.constant(words))
    return [[(p.decode(), s) for p, s in zip(row, row_scores, strict=True) if np.isfinite(s)]
            for row, row_scores in zip(phonemes.numpy(), scores.numpy(), strict=True)]


def test_propose_rescores_both_directions_n_best_lists(smoke_run, r2l_run):
    """With `rerank.propose` the right-to-left model's n-best list joins the
    left-to-right one: every hypothesis of either list once, each scored by
    the two models' agreement, best first."""
    sets = [f"rerank.runs={r2l_run}", "rerank.weight=0.5", "rerank.propose=true"]
    server = decoding.make_server(resolve("g2p", "smoke", sets=sets), smoke_run[0])
    words = ["cat", "hello", "abacus", "zebra", "o'neil"]
    assert server.nbest(tf.constant(words))[0].numpy().shape == (5, 4)  # 2K, K = 2
    forward = finite_nbest(decoding.make_server(resolve("g2p", "smoke"), smoke_run[0]), words)
    backward = finite_nbest(decoding.make_server(resolve("g2p", "smoke"), r2l_run), words)
    ids, _ = server.encode_words(tf.constant(words))
    for b, entries in enumerate(finite_nbest(server, words)):
        assert sorted(p for p, _ in entries) == sorted({p for p, _ in forward[b] + backward[b]})
        want = [agreement_score(server, ids[b : b + 1],
                                server.phones(tf.constant(p.split(), tf.string)).numpy())
                for p, _ in entries]
        assert [s for _, s in entries] == pytest.approx(want, abs=1e-4)
        assert np.all(np.diff(want) <= 1e-4)  # best first
    assert answers(server, words) == [entries[0][0] for entries in finite_nbest(server, words)]


def test_rerank_weight_0_answers_as_the_plain_search(smoke_run, r2l_run):
    """With no weight on the rerankers the searching model's teacher-forced
    scores are the beam's own, so the order (and the score) stays."""
    config = resolve("g2p", "smoke", sets=[f"rerank.runs={r2l_run}", "rerank.weight=0"])
    words = ["cat", "hello", "abacus", "zebra", "naïve", ""]
    got = decoding.predict_words(config, smoke_run[0], words)
    plain = decoding.predict_words(resolve("g2p", "smoke"), smoke_run[0], words)
    assert [p for _, p, _ in got] == [p for _, p, _ in plain]
    assert [s for _, _, s in got] == pytest.approx([s for _, _, s in plain], abs=1e-4)


def test_rerank_export_loads_without_the_project_and_matches_in_process(
        smoke_run, r2l_run, tmp_path):
    config = resolve("g2p", "smoke", sets=[f"rerank.runs={r2l_run}"])
    metadata = export_matches_in_process(config, smoke_run[0], tmp_path)
    assert metadata["direction"] == "l2r" and metadata["rerank"]["directions"] == ["r2l"]


def test_propose_export_loads_without_the_project_and_matches_in_process(
        smoke_run, r2l_run, tmp_path):
    config = resolve("g2p", "smoke", sets=[f"rerank.runs={r2l_run}", "rerank.propose=true"])
    assert export_matches_in_process(config, smoke_run[0], tmp_path)["rerank"]["propose"]


def test_propose_without_a_reranker_of_the_other_direction_is_a_usage_error(smoke_run):
    other = str(smoke_run[0])  # left to right, as the search
    config = resolve("g2p", "smoke", sets=[f"rerank.runs={other}", "rerank.propose=true"])
    with pytest.raises(UsageError, match="rerank.propose=true: no run in rerank.runs"):
        decoding.make_server(config, smoke_run[0])


@pytest.mark.parametrize("propose", ["false", "true"])
def test_rerank_compiles_with_xla_and_answers_the_same(smoke_run, r2l_run, propose):
    sets = [f"rerank.runs={r2l_run}", "decode.max_input_length=24", f"rerank.propose={propose}"]
    words = ["cat", "hello", "abacus", "zebra", "o'neil"]
    eager = decoding.predict_words(resolve("g2p", "smoke", sets=sets), smoke_run[0], words)
    compiled = decoding.predict_words(resolve("g2p", "smoke", sets=[*sets, "decode.xla=true"]),
                                 smoke_run[0], words)
    assert [p for _, p, _ in compiled] == [p for _, p, _ in eager]
    assert [s for _, _, s in compiled] == pytest.approx([s for _, _, s in eager], abs=1e-4)


def test_ensemble_of_two_directions_is_a_usage_error(smoke_run, r2l_run):
    with pytest.raises(UsageError, match="ensemble.runs: .*g2p.direction=r2l"):
        decoding.make_server(resolve("g2p", "smoke", sets=[f"ensemble.runs={r2l_run}"]),
                        smoke_run[0])


def test_candidates_are_every_hypothesis_scored_by_every_model(smoke_run, r2l_run):
    """`candidates` holds the hypotheses of both searches (`propose`), those
    the n-best list keeps, and each model's whole-sequence log-probability:
    combined with the rerank weights they give the n-best list's scores."""
    from models.decoding import length_penalty

    sets = [f"rerank.runs={r2l_run}", "rerank.weight=0.5", "rerank.propose=true"]
    server = decoding.make_server(resolve("g2p", "smoke", sets=sets), smoke_run[0])
    words = ["cat", "hello", "abacus", "zebra", "o'neil"]
    phonemes, log_probs, lengths, valid = (x.numpy() for x in server.candidates(
        tf.constant(words)))
    assert log_probs.shape == (5, 4, 2) and lengths.shape == valid.shape == (5, 4)
    for b, entries in enumerate(finite_nbest(server, words)):
        got = {p.decode(): lp for p, lp, ok in zip(phonemes[b], log_probs[b], valid[b],
                                                    strict=True) if ok}
        assert sorted(got) == sorted(p for p, _ in entries)
        for p, score in entries:
            n = len(p.split()) + 1  # the smoke hypotheses end within max_length
            assert np.mean(got[p]) / length_penalty(n, 0.6).numpy() == pytest.approx(score,
                                                                                    abs=1e-4)


def test_learned_rerank_ranks_by_the_weights_it_fitted_on_validation(
        smoke_run, r2l_run, lexicon, tmp_path):
    """`rerank.learned` fits the weights of the models' and the joint-sequence
    model's scores on the validation lists, writes them to `rerank.json`,
    and the test split's answers, predict's and the export's (computed in
    the graph) are the candidates those weights rank first."""
    from models.classical import loglinear_rerank
    from pipeline import evaluate as evaluate_stage
    from pipeline.tasks.g2p import reranker
    from pipeline.tasks.g2p.scoring import score_all, strip_stress

    run_dir = smoke_run[0]
    sets = [f"rerank.runs={r2l_run}", "rerank.learned=true", "rerank.joint_order=2"]
    args = ["--task", "g2p", "--preset", "smoke", "--data", lexicon, "--run-dir", run_dir]
    assert evaluate_stage.main([*args, *(a for s in sets for a in ("--set", s)),
                                "--split", "validation"]) == 0
    assert evaluate_stage.main([*args, *(a for s in sets for a in ("--set", s))]) == 0
    with open(os.path.join(run_dir, "rerank.json"), encoding="utf-8") as handle:
        fitted = json.load(handle)
    config = resolve("g2p", "smoke", sets=sets)
    all_splits = g2p_data.load_splits(config, data=lexicon)
    assert fitted["validation_words"] == len(all_splits["validation"])
    assert len(fitted["features"]) == len(fitted["weights"]) == 3
    assert os.path.exists(os.path.join(run_dir, "joint_sequence_2.pkl"))
    words = sorted(all_splits["test"])
    # the features again, the joint model's from its Python implementation
    server = decoding.make_server(config, run_dir)  # no joint model: the networks' scores
    phonemes, log_probs, _, valid = reranker.candidate_lists(server, words)
    joint = reranker.joint_model(config, run_dir, all_splits["train"])  # the cached one
    joint_scores = [[max(joint.log_prob(w, strip_stress(p.split())), JOINT_FLOOR)
                     for p in row] for w, row in zip(words, phonemes, strict=True)]
    x = np.concatenate([log_probs, np.array(joint_scores)[..., None]], axis=-1)
    best = loglinear_rerank.scores(x, valid, np.array(fitted["weights"])).argmax(axis=1)
    want = score_all({w: phonemes[i, best[i]] for i, w in enumerate(words)}, all_splits["test"])
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    assert metrics["wer"] == want["wer"] and metrics["per"] == want["per"]
    # predict answers with the same weights, from rerank.json, in the graph
    got = decoding.predict_words(config, run_dir, [*words[:8], ""])
    assert [p for _, p, _ in got] == [phonemes[i, best[i]] for i in range(8)] + [""]
    assert [s for _, _, s in got[:8]] == pytest.approx(
        loglinear_rerank.scores(x, valid, np.array(fitted["weights"])).max(axis=1)[:8],
        abs=1e-3)
    metadata = export_matches_in_process(config, run_dir, tmp_path)
    assert metadata["rerank"]["learned"]["weights"] == fitted["weights"]


def test_learned_predict_without_a_fitted_reranker_exits_2(smoke_run, r2l_run, tmp_path, capsys):
    from pipeline import predict as predict_stage

    run_dir = tmp_path / "copy"
    shutil.copytree(smoke_run[0], run_dir, ignore=shutil.ignore_patterns("rerank.json"))
    flags = ["--set", f"rerank.runs={r2l_run}", "--set", "rerank.learned=true"]
    assert run_cli(predict_stage.main, ["--task", "g2p", "--preset", "smoke", "--run-dir",
                                        str(run_dir), *flags, "hello"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "rerank.json" in err and "pipeline.evaluate" in err
