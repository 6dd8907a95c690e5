"""The LM task's scores: bits per character of the model next to an n-gram.

Evaluation reports bits per character on the test split for the recurrent
model and for an order-5 character n-gram model with Kneser-Ney smoothing
(`models.classical.ngram`, the Markov models of Xiaogang Wang, "Recurrent
Neural Network", CUHK 2019, slides 7-8), fitted on the same training text
in the same run; with `evaluate.dynamic_learning_rate` also both adapting
as they read (dynamic evaluation); samples; and the conditional word
model's scores (`conditional`).
"""

import json
import math
import os
import time

import numpy as np

from pipeline.core import atomic, evaluation
from pipeline.core.errors import UsageError
from pipeline.tasks.lm import conditional
from pipeline.tasks.lm import data as lm_data
from pipeline.tasks.lm.model import load_for_use
from pipeline.tasks.lm.plots import plot_bits
from pipeline.tasks.lm.server import SAMPLE_PROMPTS, generate, sampling_server


def dynamic_bits(config, members, train_ids, scored_ids, vocabulary_size):
    """Bits per character of the scored ids under dynamic evaluation: the
    models' (each adapting on its own, then mixed as in
    `models.lm.LanguageModelMixture`), and the refitted n-gram's
    (`models.classical.ngram.refitted_log2_probabilities`), with their seconds."""
    from models.classical.ngram import refitted_log2_probabilities
    from models.lm import dynamic_log2_probabilities

    e = config["evaluate"]
    start = time.perf_counter()
    log2_p = np.stack([dynamic_log2_probabilities(
        m, scored_ids, e["dynamic_learning_rate"], decay=e["dynamic_decay"],
        segment=e["dynamic_segment"]) for m in members])  # [M, N-1]
    model_bits = math.log2(len(members)) - np.logaddexp2.reduce(log2_p, axis=0)
    model_seconds = time.perf_counter() - start
    start = time.perf_counter()
    n = config["ngram"]
    ngram_bits = -refitted_log2_probabilities(train_ids, scored_ids, e["dynamic_segment"],
                                              vocabulary_size=vocabulary_size,
                                              order=n["order"], method=n["method"])
    return model_bits, ngram_bits, model_seconds, time.perf_counter() - start


def fit_ngram(config, train_ids, vocabulary_size):
    from models.classical.ngram import CharNGram

    n = config["ngram"]
    try:
        return CharNGram(vocabulary_size, order=n["order"], method=n["method"]).fit(train_ids)
    except ValueError as error:
        raise UsageError(f"--set ngram.order={n['order']} / ngram.method={n['method']}: "
                         f"{error}") from None


def evaluate(config, run_dir, data=None, data_dir=None, split="test"):
    """Bits per character on the test split (or `split`) of the model and
    of the n-gram baseline fitted now on the same training text; samples;
    the conditional model's scores (test split only). Writes `metrics.json`
    and `plots/bits_per_character.png` (`pipeline.core.evaluation.output_dir`).
    """
    from models.lm import log2_probabilities

    model, members, vocabulary = load_for_use(config, run_dir)
    ids = lm_data.split_ids(config, vocabulary, ("train", split), data, data_dir)
    train_ids, scored_ids = ids["train"], ids[split]
    if len(scored_ids) < 2:
        raise UsageError(f"--set data.max_eval_chars: the {split} split needs 2 characters "
                         "or more")
    start = time.perf_counter()
    model_bits = -log2_probabilities(model, scored_ids, config["evaluate"]["window"])
    model_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ngram = fit_ngram(config, train_ids, len(vocabulary) + 2)
    ngram_fit_seconds = time.perf_counter() - start
    ngram_bits = -ngram.log2_probabilities(scored_ids)
    metrics = {
        "bpc": float(model_bits.mean()),
        "ngram_bpc": float(ngram_bits.mean()),
        "bpc_ratio": float(model_bits.mean() / ngram_bits.mean()),
        "test_characters": int(len(model_bits)),
        "train_characters": int(len(train_ids)),
        "model_score_seconds": model_seconds,
        "ngram_fit_seconds": ngram_fit_seconds,
        "ngram": dict(config["ngram"]), "split": split,
        "ensemble": dict(config["ensemble"]),
    }
    n = config["ngram"]
    curves = [(model_bits, config["model"]["cell"]),
              (ngram_bits, f"{n['order']}-gram {n['method']}")]
    if config["evaluate"]["dynamic_learning_rate"] > 0:
        dynamic, refitted, dynamic_seconds, refit_seconds = dynamic_bits(
            config, members, train_ids, scored_ids, len(vocabulary) + 2)
        metrics.update({
            "bpc_dynamic": float(dynamic.mean()), "ngram_bpc_refitted": float(refitted.mean()),
            "bpc_dynamic_ratio": float(dynamic.mean() / refitted.mean()),
            "dynamic_score_seconds": dynamic_seconds, "ngram_refit_seconds": refit_seconds})
        curves += [(dynamic, f"{config['model']['cell']}, dynamic evaluation"),
                   (refitted, f"{n['order']}-gram, refitted as it reads")]
    seconds_path = os.path.join(run_dir, "train_seconds.json")
    if os.path.exists(seconds_path):
        with open(seconds_path, encoding="utf-8") as handle:
            metrics.update(json.load(handle))
    s = config["sample"]
    server = sampling_server(config, model, vocabulary)
    metrics["samples"] = dict(zip(SAMPLE_PROMPTS, generate(
        server, SAMPLE_PROMPTS, s["length"], s["temperature"], s["seed"]), strict=True))
    if config["conditional"]["enabled"] and split == "test":
        metrics.update(conditional.evaluate(config, run_dir, data_dir))
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plot_bits(curves, os.path.join(evaluation.plots_dir(run_dir, split), "bits_per_character.png"))
    return metrics
