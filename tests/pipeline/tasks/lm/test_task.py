"""The LM task end to end at the smoke preset: run (prepare, train with the
conditional model, evaluate next to the n-gram, export), the export loaded
where the project cannot be imported (docs/architecture.md section 5),
predict and generate."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from models.classical.ngram import CharNGram, refitted_log2_probabilities
from models.lm import dynamic_log2_probabilities, log2_probabilities
from pipeline import generate as generate_stage
from pipeline import predict as predict_stage
from pipeline import run as run_stage
from pipeline.core import distribution
from pipeline.core import export as export_lib
from pipeline.core.config import resolve
from pipeline.core.errors import run_cli
from pipeline.core.registry import get as get_task
from pipeline.tasks.lm import config as lm_config
from pipeline.tasks.lm import data as lm_data
from pipeline.tasks.lm import inputs as lm_inputs
from pipeline.tasks.lm import model as lm_model
from pipeline.tasks.lm import server
from tests.pipeline.ensemble_runs import perturbed_copy
from tests.pipeline.evaluate_split import evaluate_validation
from tests.pipeline.tasks.serving import serve_blocked

PROMPTS = ["", "The ", "日本語 ☃", "x" * 3000, "def f(a):\n\treturn a\n"]



@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    """40,000 characters of the embedded text as a user file."""
    from pipeline.tasks.lm.dataset import load_pydoc_text

    path = tmp_path_factory.mktemp("data") / "text.txt"
    path.write_text(load_pydoc_text()[:40000], encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def words_file(tmp_path_factory):
    """Frequent words of three languages (`wordfreq`) as a `word<TAB>language`
    file, for the conditional model."""
    import wordfreq

    seen, rows = set(), []
    for language in ("en", "fr", "de"):
        for word in wordfreq.top_n_list(language, 400):
            if word.isalpha() and word not in seen:
                seen.add(word)
                rows.append(f"{word}\t{language}")
    path = tmp_path_factory.mktemp("data") / "words.tsv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def smoke_run(text_file, words_file, tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    run_dir, export_dir = str(base / "run"), str(base / "saved")
    args = ["--task", "lm", "--preset", "smoke", "--data", text_file, "--run-dir", run_dir,
            "--export-dir", export_dir, "--set", f"conditional.data={words_file}"]
    assert run_stage.main(args) == 0
    return run_dir, export_dir


def test_evaluate_validation_split(smoke_run, text_file):
    run_dir, _ = smoke_run
    metrics = evaluate_validation("lm", run_dir, "--data", text_file)
    texts = lm_data.texts(lm_data.load(text_file), resolve("lm", "smoke"))
    scored = len(lm_inputs.encode_text(texts["validation"], lm_data.load_vocabulary(run_dir))) - 1
    assert metrics["split"] == "validation" and metrics["test_characters"] == scored
    assert "conditional_bpc" not in metrics  # the conditional model: test split only
    assert os.path.exists(os.path.join(run_dir, "validation", "plots",
                                       "bits_per_character.png"))


def test_metrics_compare_with_an_ngram_fitted_on_the_same_text(smoke_run, text_file):
    run_dir, export_dir = smoke_run
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    config = resolve("lm", "smoke")
    texts = lm_data.texts(lm_data.load(text_file), config)
    vocabulary = lm_data.load_vocabulary(run_dir)
    train_ids = lm_inputs.encode_text(texts["train"], vocabulary)
    test_ids = lm_inputs.encode_text(texts["test"], vocabulary)
    ngram = CharNGram(len(vocabulary) + 2, order=5).fit(train_ids)
    assert metrics["ngram_bpc"] == pytest.approx(ngram.bits_per_character(test_ids), rel=1e-9)
    assert metrics["train_characters"] == 20000 == len(train_ids)
    assert metrics["test_characters"] == len(test_ids) - 1
    assert metrics["bpc_ratio"] == pytest.approx(metrics["bpc"] / metrics["ngram_bpc"])
    assert 0 < metrics["bpc"] < np.log2(len(vocabulary) + 2) + 1
    assert metrics["train_seconds"] > 0 and metrics["ngram_fit_seconds"] > 0
    assert set(metrics["samples"]) == set(server.SAMPLE_PROMPTS)
    assert 0.0 <= metrics["conditional_langid_accuracy"] <= 1.0
    assert metrics["conditional_bpc"] > 0
    assert sorted(metrics["conditional_samples"]) == ["de", "en", "fr"]
    assert os.path.exists(os.path.join(run_dir, "plots", "bits_per_character.png"))
    assert os.path.exists(os.path.join(run_dir, "conditional", "model.keras"))
    with open(os.path.join(export_dir, "lm", "1", "assets.extra", "metadata.json"),
              encoding="utf-8") as handle:
        metadata = json.load(handle)
    assert metadata["task"] == "lm" and "bpc" in metadata["metrics"]


def test_scores_do_not_depend_on_the_window(smoke_run, text_file):
    """The state is carried exactly from window to window."""
    run_dir, _ = smoke_run
    model, vocabulary = lm_model.load_trained(run_dir)
    ids = lm_inputs.encode_text(load_text(text_file)[:300], vocabulary)
    whole = log2_probabilities(model, ids, window=1000)
    np.testing.assert_allclose(log2_probabilities(model, ids, window=7), whole,
                               rtol=1e-4, atol=1e-5)
    logits, _ = model.forward(ids[None, :-1].astype("int32"))
    log_p = tf.nn.log_softmax(logits)[0].numpy()
    np.testing.assert_allclose(whole, log_p[np.arange(len(ids) - 1), ids[1:]] / np.log(2),
                               rtol=1e-4, atol=1e-5)


def load_text(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def served_text(path, request):
    """`{"inputs", "outputs", "text", "again", "empty"}`: the export's
    signature names and its texts for `request` (twice) and for an empty
    prompt of length 0, from a process that cannot import the project."""
    served = serve_blocked(path, request, request,
                           {"prompt": [""], "length": 0, "temperature": 1.0})
    first, again, empty = (answer["text"] for answer in served["answers"])
    return {"inputs": sorted(served["inputs"]), "outputs": sorted(served["outputs"]),
            "text": first, "again": again, "empty": empty}


def test_export_loads_without_the_project_and_matches_in_process(smoke_run):
    run_dir, export_dir = smoke_run
    served = served_text(os.path.join(export_dir, "lm", "1"),
                         {"prompt": PROMPTS, "length": 25, "temperature": 0.7})
    assert served["inputs"] == ["length", "prompt", "temperature"]
    assert served["outputs"] == ["text"]
    config = resolve("lm", "smoke")
    local = server.generate(server.make_server(config, run_dir), PROMPTS, 25, 0.7,
                            config["sample"]["seed"])
    assert served["text"] == local == served["again"]  # seeded: same request, same text
    assert all(len(t) == 25 for t in served["text"])
    vocabulary = set(lm_data.load_vocabulary(run_dir))
    assert all(set(t) <= vocabulary for t in served["text"])  # never OOV or padding
    assert served["empty"] == [""]


@pytest.fixture(scope="module")
def other_run(smoke_run, tmp_path_factory):
    return perturbed_copy(smoke_run[0], tmp_path_factory.mktemp("other") / "run")


def test_an_ensemble_scores_the_mean_probability_of_its_models(smoke_run, other_run, text_file):
    config = resolve("lm", "smoke", sets=[f"ensemble.runs={other_run}"])
    mixture, members, vocabulary = lm_model.load_for_use(config, smoke_run[0])
    assert len(members) == 2
    ids = lm_inputs.encode_text(load_text(text_file)[:300], vocabulary)
    each = [log2_probabilities(m, ids, window=100) for m in members]
    assert np.abs(each[0] - each[1]).mean() > 0.05  # two different models
    np.testing.assert_allclose(log2_probabilities(mixture, ids, window=100),
                               np.log2(np.mean(np.exp2(each), axis=0)), rtol=1e-4, atol=1e-5)


def test_dynamic_evaluation_of_an_ensemble_next_to_the_refitted_ngram(smoke_run, other_run,
                                                                     text_file):
    """`--set evaluate.dynamic_learning_rate`: each model adapts on its own
    and the mixture is their mean probability; the n-gram peer refits on
    the same segments. The static scores are unchanged beside them."""
    flags = ["--data", text_file, "--set", f"ensemble.runs={other_run}",
             "--set", "evaluate.dynamic_learning_rate=0.5", "--set", "evaluate.dynamic_segment=20"]
    metrics = evaluate_validation("lm", smoke_run[0], *flags)
    config = resolve("lm", "smoke", sets=[f"ensemble.runs={other_run}"])
    _, members, vocabulary = lm_model.load_for_use(config, smoke_run[0])
    texts = lm_data.texts(lm_data.load(text_file), config)
    train_ids = lm_inputs.encode_text(texts["train"], vocabulary)
    ids = lm_inputs.encode_text(texts["validation"], vocabulary)
    each = [dynamic_log2_probabilities(m, ids, 0.5, segment=20) for m in members]
    expected = -np.log2(np.mean(np.exp2(each), axis=0)).mean()
    assert metrics["bpc_dynamic"] == pytest.approx(expected, rel=1e-4)
    refitted = -refitted_log2_probabilities(train_ids, ids, 20, vocabulary_size=len(vocabulary)
                                            + 2, order=5).mean()
    assert metrics["ngram_bpc_refitted"] == pytest.approx(refitted, rel=1e-9)
    assert metrics["bpc_dynamic_ratio"] == pytest.approx(expected / refitted, rel=1e-4)
    static = evaluate_validation("lm", smoke_run[0], *flags[:4])
    assert metrics["bpc"] == pytest.approx(static["bpc"], rel=1e-6)
    assert "bpc_dynamic" not in static


def test_cache_and_mixtures_are_fitted_on_validation(smoke_run, text_file):
    """`--set cache.window`: the static and the dynamic model each mixed
    with a cache over their own hidden states, theta from the grid and
    lambda fitted on validation; the mixtures' EM weights; the compressors'
    ratios to every adaptive figure."""
    from models.lm import cache_log2_probabilities
    from pipeline.core import ensemble
    from pipeline.tasks.lm.evaluation import CACHE_THETAS

    flags = ["--data", text_file, "--set", "cache.window=300", "--set", "evaluate.mixture=true",
             "--set", "evaluate.dynamic_learning_rate=0.5", "--set", "evaluate.dynamic_segment=20"]
    metrics = evaluate_validation("lm", smoke_run[0], *flags)
    config = resolve("lm", "smoke")
    _, members, vocabulary = lm_model.load_for_use(config, smoke_run[0])
    ids = lm_inputs.encode_text(lm_data.texts(lm_data.load(text_file), config)["validation"],
                                vocabulary)
    for name, score in (("cache", lambda: log2_probabilities(members[0], ids,
                                                             return_hidden=True)),
                        ("dynamic_cache", lambda: dynamic_log2_probabilities(
                            members[0], ids, 0.5, segment=20, return_hidden=True))):
        log2_p, hidden = score()
        theta, lam = metrics[f"{name}_theta"], metrics[f"{name}_lambda"]
        assert theta in CACHE_THETAS and 0 < lam < 1
        cache = cache_log2_probabilities(hidden, ids[1:], theta, 300, log2_p)[0]
        mixed = ensemble.mixture_log2(np.stack([log2_p, cache]), [1 - lam, lam])
        assert metrics[f"bpc_{name}"] == pytest.approx(-mixed.mean(), rel=1e-4)
    weights = metrics["mixture_adaptive_weights"]
    assert set(weights) == {"model", "ngram", "dynamic", "ngram_refitted", "cache",
                            "dynamic_cache"}
    assert sum(weights.values()) == pytest.approx(1.0)
    # Fitted on the split it scores, the mixture beats each of its parts.
    parts = ("bpc", "ngram_bpc", "bpc_dynamic", "ngram_bpc_refitted", "bpc_cache",
             "bpc_dynamic_cache")
    assert metrics["bpc_mixture_adaptive"] <= min(metrics[k] for k in parts) + 1e-6
    assert metrics["bpc_mixture"] <= min(metrics["bpc"], metrics["ngram_bpc"]) + 1e-6
    assert set(metrics["mixture_network_weights"]) == {"model", "dynamic", "cache",
                                                       "dynamic_cache"}
    assert metrics["bpc_mixture_network"] <= min(
        metrics[k] for k in ("bpc", "bpc_dynamic", "bpc_cache", "bpc_dynamic_cache")) + 1e-6
    # The online weights' rate is chosen on the split they score here: never
    # worse than the fixed weights (rate 0).
    from pipeline.tasks.lm.evaluation import ONLINE_RATES
    for key in ("mixture_adaptive", "mixture_network"):
        assert metrics[f"{key}_online_rate"] in ONLINE_RATES
        assert metrics[f"bpc_{key}_online"] <= metrics[f"bpc_{key}"] + 1e-9
    assert "bpc_mixture_online" not in metrics  # the static mixture stays static
    for key in ("bpc_cache", "bpc_dynamic", "bpc_dynamic_cache", "bpc_mixture_adaptive",
                "bpc_mixture_network", "bpc_mixture_adaptive_online", "bpc_mixture_network_online"):
        assert metrics[f"{key}_ppmd_ratio"] == pytest.approx(metrics[key] / metrics["ppmd_bpc"])
        assert metrics[f"{key}_lzma_ratio"] == pytest.approx(metrics[key] / metrics["lzma_bpc"])
    assert "bpc_ppmd_ratio" not in metrics  # static figures face the static n-gram only


def test_memory_is_fitted_on_validation_and_joins_the_static_mixture(smoke_run, text_file):
    """`--set memory.neighbours`: the model mixed with the nearest-neighbour
    memory over the training text's hidden states, the temperature from the
    grid and lambda fitted on validation; the memory is a static component
    (it reads the training text only)."""
    from models.lm.memory import memory_log2_probabilities, nearest_neighbours
    from pipeline.core import ensemble
    from pipeline.tasks.lm.evaluation import MEMORY_TEMPERATURES

    flags = ["--data", text_file, "--set", "memory.neighbours=16", "--set",
             "evaluate.mixture=true", "--set", "evaluate.compressors=false"]
    metrics = evaluate_validation("lm", smoke_run[0], *flags)
    config = resolve("lm", "smoke")
    _, members, vocabulary = lm_model.load_for_use(config, smoke_run[0])
    texts = lm_data.texts(lm_data.load(text_file), config)
    train, ids = (lm_inputs.encode_text(texts[s], vocabulary) for s in ("train", "validation"))
    _, keys = log2_probabilities(members[0], train, return_hidden=True)
    log2_p, queries = log2_probabilities(members[0], ids, return_hidden=True)
    temperature, lam = metrics["memory_temperature"], metrics["memory_lambda"]
    assert temperature in MEMORY_TEMPERATURES and 0 < lam < 1
    assert metrics["memory_keys"] == len(train) - 1 and metrics["memory_neighbours"] == 16
    memory = memory_log2_probabilities(*nearest_neighbours(keys, train[1:], queries, 16),
                                       ids[1:], temperature)[0]
    mixed = ensemble.mixture_log2(np.stack([log2_p, memory]), [1 - lam, lam])
    assert metrics["bpc_memory"] == pytest.approx(-mixed.mean(), rel=1e-4)
    assert metrics["bpc_memory"] < metrics["bpc"]
    assert set(metrics["mixture_weights"]) == {"model", "memory", "ngram"}
    assert set(metrics["mixture_network_weights"]) == {"model", "memory"}
    assert "mixture_adaptive_weights" not in metrics  # nothing adaptive was asked for


@pytest.mark.parametrize("flag", ["evaluate.dynamic_learning_rate=-1",
                                  "evaluate.dynamic_segment=0", "evaluate.dynamic_decay=2"])
def test_bad_dynamic_options_stop_before_anything_is_written(flag, text_file, tmp_path, capsys):
    run_dir = tmp_path / "run"
    args = ["--task", "lm", "--preset", "smoke", "--data", text_file, "--run-dir", str(run_dir),
            "--set", flag]
    assert run_cli(run_stage.main, args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err
    assert not run_dir.exists()


def test_an_ensemble_export_loads_without_the_project_and_samples_as_in_process(
        smoke_run, other_run, tmp_path):
    config = resolve("lm", "smoke", sets=[f"ensemble.runs={other_run}"])
    path = export_lib.export("lm", config, smoke_run[0], str(tmp_path))
    served = served_text(path, {"prompt": PROMPTS, "length": 25, "temperature": 0.7})
    local = server.generate(server.make_server(config, smoke_run[0]), PROMPTS, 25, 0.7,
                            config["sample"]["seed"])
    alone = server.generate(server.make_server(resolve("lm", "smoke"), smoke_run[0]), PROMPTS,
                            25, 0.7, config["sample"]["seed"])
    assert served["text"] == local != alone


def test_export_has_no_device_specific_ops(smoke_run):
    _, export_dir = smoke_run
    loaded = tf.saved_model.load(os.path.join(export_dir, "lm", "1"))
    graph = loaded.signatures["serving_default"].graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for fn in graph.library.function for node in fn.node_def}
    assert "StatelessMultinomial" in ops or "StatelessRandomGetKeyCounterAlg" in ops
    assert not [op for op in ops if "Cudnn" in op]
    assert not [op for op in ops if op in ("RandomUniform", "Multinomial")]  # stateful


def test_seeded_signature_varies_with_the_seed(smoke_run):
    _, export_dir = smoke_run
    seeded = tf.saved_model.load(os.path.join(export_dir, "lm", "1")).signatures[
        "generate_with_seed"]

    def text(seed):
        return seeded(prompt=tf.constant(["The "] * 2), length=tf.constant(30),
                      temperature=tf.constant(1.0), seed=tf.constant(seed))["text"].numpy()

    assert list(text(3)) == list(text(3))
    assert list(text(3)) != list(text(4))


def test_greedy_generation_follows_the_most_probable_character(smoke_run):
    run_dir, _ = smoke_run
    model, vocabulary = lm_model.load_trained(run_dir)
    (text,) = server.generate(server.make_server(resolve("lm", "smoke"), run_dir), ["The "], 5,
                              0.0, 0)
    ids = lm_inputs.encode_text(server.START + "The " + text, vocabulary)
    logits, _ = model.forward(ids[None, :-1].astype("int32"))
    logits = logits[0, -5:].numpy()
    logits[:, :2] = -np.inf  # padding and OOV are never drawn
    np.testing.assert_array_equal(logits.argmax(-1), ids[-5:])


def test_predict_and_generate_commands(smoke_run, words_file, capsys):
    run_dir, _ = smoke_run
    common = ["--preset", "smoke", "--run-dir", run_dir]
    assert predict_stage.main(["--task", "lm", *common, "The ", "a\tb"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["The ", "a\\tb"]
    assert generate_stage.main([*common, "--language", "fr", "--count", "3"]) == 0
    language, words = capsys.readouterr().out.strip().split("\t")
    assert language == "fr" and len(words.split(" ")) == 3
    assert generate_stage.main([*common, "--prompt", "x", "--length", "10"]) == 0
    config = resolve("lm", "smoke")
    (text,) = server.generate(server.make_server(config, run_dir), ["x"], 10,
                              config["sample"]["temperature"], config["sample"]["seed"])
    assert capsys.readouterr().out == f"x{text}\n\n"
    assert run_cli(generate_stage.main, [*common, "--language", "xx"]) == 2
    assert "--language xx" in capsys.readouterr().err
    assert run_cli(generate_stage.main, [*common, "--length", "2001"]) == 2  # max_length 2000
    assert "--set sample.max_length=2001" in capsys.readouterr().err
    assert run_cli(generate_stage.main, [*common, "--prompt", "a\udcffb"]) == 2
    assert "--prompt 1: not valid UTF-8" in capsys.readouterr().err
    # a flag of the other kind of sampling is refused, not ignored
    assert run_cli(generate_stage.main, [*common, "--count", "3"]) == 2
    assert capsys.readouterr().err.strip() == "error: --count: applies only with --language"
    assert run_cli(generate_stage.main, [*common, "--language", "fr", "--prompt", "x"]) == 2
    assert capsys.readouterr().err.strip() == "error: --prompt: applies only without --language"
    for bad in ("nan", "-1"):  # --set sample.temperature refuses them too
        with pytest.raises(SystemExit) as stopped:
            generate_stage.main([*common, "--temperature", bad])
        assert stopped.value.code == 2
        assert f"--temperature: expected 0 or more, got {bad}" in capsys.readouterr().err


def test_inference_batch_for_compare(smoke_run):
    run_dir, _ = smoke_run
    config = resolve("lm", "smoke")
    infer, count = get_task("lm").inference_batch(config, run_dir)
    texts = [t.decode() for t in infer()["text"].numpy()]
    assert count == len(texts) * config["sample"]["length"] == sum(len(t) for t in texts)
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    assert all(isinstance(metrics[name], float) for name in lm_config.COMPARE_METRICS)


def test_too_short_text_is_a_usage_error(text_file, tmp_path, capsys):
    args = ["--task", "lm", "--preset", "smoke", "--data", text_file, "--run-dir",
            str(tmp_path / "run"), "--set", "data.batch_size=100",
            "--set", "conditional.enabled=false"]
    assert run_cli(run_stage.main, args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "data.batch_size=100" in err


def test_mirrored_strategy_trains_as_one_device(text_file, tmp_path):
    """Truncated BPTT under `--strategy mirrored` (two logical CPUs): each
    replica carries the state of its own streams, so the losses equal one
    device's on the same global batches (dropout off: its masks differ)."""
    assert distribution.strategy_named("mirrored").num_replicas_in_sync == 2

    def losses(strategy):
        config = resolve("lm", "smoke", sets=[
            f"train.strategy={strategy}", "conditional.enabled=false", "model.dropout=0.0",
            "data.max_train_chars=3000", "data.max_eval_chars=600"])
        history = get_task("lm").train(config, str(tmp_path / strategy), data=text_file)
        return history["loss"] + history["val_loss"]

    np.testing.assert_allclose(losses("mirrored"), losses("default"), rtol=1e-5)
