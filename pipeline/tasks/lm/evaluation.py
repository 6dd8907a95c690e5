"""The LM task's scores: bits per character of the model next to its baselines.

Evaluation reports bits per character on the test split for the recurrent
model and for an order-5 character n-gram model with Kneser-Ney smoothing
(`models.classical.ngram`, the Markov models of Xiaogang Wang, "Recurrent
Neural Network", CUHK 2019, slides 7-8), fitted on the same training text
in the same run; with `evaluate.dynamic_learning_rate` also both adapting
as they read (dynamic evaluation); PPMd and LZMA conditioned on the training
text (`baselines`); with `cache.window` the model with a continuous cache
over its history (`models.lm.cache`), statically and inside dynamic
evaluation; with `memory.neighbours` the model with a nearest-neighbour
memory over the training text (`models.lm.memory`); with
`evaluate.mixture` the per-character mixtures of all of these
(`pipeline.core.ensemble.fit_mixture_weights`); samples; and the
conditional word model's scores (`conditional`).

Whatever is chosen (the cache's theta and lambda, the memory's
temperature and lambda, the mixture weights,
PPMd's order) is chosen on the validation split: evaluating the test split
scores the validation split too, then the test split once with the choices.
"""

import json
import os
import time

import numpy as np

from pipeline.core import atomic, ensemble, evaluation
from pipeline.core.errors import UsageError
from pipeline.tasks.lm import baselines, conditional
from pipeline.tasks.lm import data as lm_data
from pipeline.tasks.lm.model import load_for_use
from pipeline.tasks.lm.plots import plot_bits
from pipeline.tasks.lm.server import SAMPLE_PROMPTS, generate, sampling_server

#: The attention sharpnesses theta the cache tries on validation (the
#: dot products of LSTM outputs in [-1, 1] reach tens with 256 units).
CACHE_THETAS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)

#: The temperatures T the memory tries on validation (squared distances
#: between LSTM outputs in [-1, 1] reach tens with 256 units).
MEMORY_TEMPERATURES = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)

#: The adaptive figures, compared with the compressors (which adapt too).
ADAPTIVE = ("bpc_cache", "bpc_dynamic", "bpc_dynamic_cache", "long_ngram_refitted_bpc",
            "bpc_mixture_adaptive", "bpc_mixture_network", "bpc_mixture_adaptive_online",
            "bpc_mixture_network_online")


def model_scores(config, members, ids):
    """`(components, hidden, seconds)` of the models on one id stream:
    components `{"model": log2 p [N-1]}` (the equal-weight mixture of the
    members, `models.lm.LanguageModelMixture`'s rule) and with
    `evaluate.dynamic_learning_rate` `"dynamic"` (each member adapting on
    its own, then mixed); hidden `{"model": [N-1, units]}` (and
    `"dynamic"`) the first member's hidden states when the cache or the
    memory reads them."""
    from models.lm import dynamic_log2_probabilities, log2_probabilities

    e = config["evaluate"]
    cache = config["cache"]["window"] > 0 or config["memory"]["neighbours"] > 0
    components, hidden, seconds = {}, {}, {}
    kinds = [("model", lambda m, h: log2_probabilities(m, ids, e["window"], return_hidden=h))]
    if e["dynamic_learning_rate"] > 0:
        kinds.append(("dynamic", lambda m, h: dynamic_log2_probabilities(
            m, ids, e["dynamic_learning_rate"], decay=e["dynamic_decay"],
            segment=e["dynamic_segment"], return_hidden=h)))
    for kind, score in kinds:
        start = time.perf_counter()
        log2_p = []
        for i, member in enumerate(members):
            out = score(member, cache and i == 0)
            if cache and i == 0:
                out, hidden[kind] = out
            log2_p.append(out)
        equal = np.full(len(members), 1.0 / len(members))
        components[kind] = ensemble.mixture_log2(np.stack(log2_p), equal)
        seconds[kind] = time.perf_counter() - start
    return components, hidden, seconds


def ngram_scores(config, ngram, train_ids, ids):
    """`({"ngram": log2 p [N-1]}` of the fitted `ngram`, and with dynamic
    evaluation `"ngram_refitted"`, the n-gram refitted on the text scored
    so far; `seconds` of the refits)."""
    from models.classical.online_ngram import adapting_log2_probabilities

    e, n = config["evaluate"], config["ngram"]
    out = {"ngram": ngram.log2_probabilities(ids)}
    start = time.perf_counter()
    if e["dynamic_learning_rate"] > 0:
        out["ngram_refitted"] = adapting_log2_probabilities(
            train_ids, ids, e["dynamic_segment"], vocabulary_size=ngram.vocabulary_size,
            order=n["order"], method=n["method"])
    return out, time.perf_counter() - start


def choose_interpolation(candidates, model_log2):
    """`(index, lambda)`: for each row of `candidates` `[K, N]` (log2-
    probabilities of one split under K settings) the mixing weight lambda
    with `model_log2` that maximises the likelihood
    (`ensemble.fit_mixture_weights`), then the row whose mixture scores
    best."""
    best = None
    for index, candidate in enumerate(candidates):
        weights = ensemble.fit_mixture_weights(np.stack([model_log2, candidate]))
        bits = -ensemble.mixture_log2(np.stack([model_log2, candidate]), weights).mean()
        if best is None or bits < best[0]:
            best = (bits, index, float(weights[1]))
    return best[1], best[2]


def choose_cache(config, hidden, targets, model_log2):
    """`(theta, lambda)` of the cache on one split: the theta of
    `CACHE_THETAS` and the lambda that score best (`choose_interpolation`)."""
    from models.lm.cache import cache_log2_probabilities

    caches = cache_log2_probabilities(hidden, targets, CACHE_THETAS, config["cache"]["window"],
                                      fallback=model_log2)  # [K, N-1]
    index, lam = choose_interpolation(caches, model_log2)
    return CACHE_THETAS[index], lam


def add_caches(config, scores, hidden, ids, figures):
    """Adds the cache components (`"cache"`, `"dynamic_cache"`) of every
    scored split to `scores` and their figures to `figures[split]`: theta
    and lambda chosen on the validation split."""
    from models.lm.cache import cache_log2_probabilities

    window = config["cache"]["window"]
    for kind, name in (("model", "cache"), ("dynamic", "dynamic_cache")):
        if kind not in hidden["validation"]:
            continue
        start = time.perf_counter()
        theta, lam = choose_cache(config, hidden["validation"][kind], ids["validation"][1:],
                                  scores["validation"][kind])
        for s in scores:
            scores[s][name] = cache_log2_probabilities(
                hidden[s][kind], ids[s][1:], theta, window, fallback=scores[s][kind])[0]
            mixed = ensemble.mixture_log2(np.stack([scores[s][kind], scores[s][name]]),
                                          [1 - lam, lam])
            figures[s].update({f"bpc_{name}": float(-mixed.mean()), f"{name}_theta": theta,
                               f"{name}_lambda": lam})
        elapsed = time.perf_counter() - start
        for s in scores:
            figures[s][f"{name}_seconds"] = elapsed


def add_memory(config, members, train_ids, scores, hidden, ids, figures):
    """Adds the memory component (`"memory"`) of every scored split to
    `scores` and its figures to `figures[split]`: the keys are the first
    member's hidden states over the training text, read as the scored
    splits are (`models.lm.log2_probabilities`); the temperature and lambda
    are chosen on the validation split."""
    import keras

    from models.lm import log2_probabilities
    from models.lm.memory import memory_log2_probabilities, nearest_neighbours

    start = time.perf_counter()
    _, keys = log2_probabilities(members[0], train_ids, config["evaluate"]["window"],
                                 return_hidden=True)  # [M, units], keys[i] precedes train_ids[i+1]
    neighbours = min(config["memory"]["neighbours"], len(keys))
    found = {}
    for s in scores:
        queries = hidden[s]["model"]
        bar = keras.utils.Progbar(len(queries), unit_name="character")
        print(f"memory: the {neighbours} nearest of {len(keys):,} training states, {s} split")
        found[s] = nearest_neighbours(keys, train_ids[1:], queries, neighbours,
                                      progress=bar.update)
    targets = ids["validation"][1:]
    index, lam = choose_interpolation(
        memory_log2_probabilities(*found["validation"], targets, MEMORY_TEMPERATURES),
        scores["validation"]["model"])
    temperature = MEMORY_TEMPERATURES[index]
    for s in scores:
        scores[s]["memory"] = memory_log2_probabilities(*found[s], ids[s][1:], temperature)[0]
        mixed = ensemble.mixture_log2(np.stack([scores[s]["model"], scores[s]["memory"]]),
                                      [1 - lam, lam])
        figures[s].update({"bpc_memory": float(-mixed.mean()), "memory_temperature": temperature,
                           "memory_lambda": lam, "memory_neighbours": neighbours,
                           "memory_keys": int(len(keys))})
    elapsed = time.perf_counter() - start
    for s in scores:
        figures[s]["memory_seconds"] = elapsed


#: The rates the online mixture weights try on validation
#: (`pipeline.core.ensemble.online_mixture_log2`; 0 = the fixed weights).
ONLINE_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)

#: The classical components; every other one is the network's (with its
#: caches, memory and dynamic evaluation).
CLASSICAL = ("ngram", "long_ngram", "ngram_refitted", "long_ngram_refitted")


def add_mixtures(scores, figures):
    """The per-character mixtures of every scored split, weights fitted on
    validation: `bpc_mixture` of the static components (the model, the
    memory and the n-grams fitted on the training text),
    `bpc_mixture_adaptive` of all of them (the caches, dynamic evaluation
    and the refitted n-grams too), and `bpc_mixture_network` of the
    network's own (all but the n-grams: the model, its caches, memory and
    dynamic evaluation), when each differs from those before it; the
    adaptive two also with weights learned online (`add_online_mixture`)."""
    static = [c for c in ("model", "memory", "ngram", "long_ngram")
              if c in scores["validation"]]
    adaptive = list(scores["validation"])
    network = [c for c in adaptive if c not in CLASSICAL]
    done = []
    for key, names in (("mixture", static), ("mixture_adaptive", adaptive),
                       ("mixture_network", network)):
        if len(names) < 2 or any(set(names) == set(d) for d in done):
            continue
        done.append(names)
        weights = ensemble.fit_mixture_weights(
            np.stack([scores["validation"][c] for c in names]))
        for s in scores:
            mixed = ensemble.mixture_log2(np.stack([scores[s][c] for c in names]), weights)
            figures[s][f"bpc_{key}"] = float(-mixed.mean())
            figures[s][f"{key}_weights"] = {c: float(w)
                                            for c, w in zip(names, weights, strict=True)}
        if key != "mixture":  # adaptive already: the weights may adapt too
            add_online_mixture(scores, figures, key, names, weights)


def add_online_mixture(scores, figures, key, names, weights):
    """`bpc_<key>_online` of every scored split: the mixture of `names`
    with weights learned as it reads (`ensemble.online_mixture_log2`),
    starting from the validation `weights`, at the rate of `ONLINE_RATES`
    that scores the validation split best (`<key>_online_rate`)."""
    def bits(split, rate):
        log2_probs = np.stack([scores[split][c] for c in names])
        return float(-ensemble.online_mixture_log2(log2_probs, weights, rate).mean())

    rate = min(ONLINE_RATES, key=lambda r: bits("validation", r))
    for s in scores:
        figures[s][f"bpc_{key}_online"] = bits(s, rate)
        figures[s][f"{key}_online_rate"] = rate


def base_figures(scores):
    """Bits per character of the components of one split: the model, the
    n-gram and its ratio, and those present of the long n-gram, dynamic
    evaluation and the refitted n-gram."""
    bits = {c: float(-log2_p.mean()) for c, log2_p in scores.items()}
    out = {"bpc": bits["model"], "ngram_bpc": bits["ngram"],
           "bpc_ratio": bits["model"] / bits["ngram"]}
    for name in ("long_ngram", "long_ngram_refitted"):
        if name in bits:
            out[f"{name}_bpc"] = bits[name]
    if "dynamic" in bits:
        out.update({"bpc_dynamic": bits["dynamic"], "ngram_bpc_refitted": bits["ngram_refitted"],
                    "bpc_dynamic_ratio": bits["dynamic"] / bits["ngram_refitted"]})
    return out


def add_compressor_ratios(figures):
    """`<figure>_ppmd_ratio` and `_lzma_ratio` of each adaptive figure."""
    for key in ADAPTIVE:
        if key in figures:
            figures[f"{key}_ppmd_ratio"] = figures[key] / figures["ppmd_bpc"]
            figures[f"{key}_lzma_ratio"] = figures[key] / figures["lzma_bpc"]


def evaluate(config, run_dir, data=None, data_dir=None, split="test"):
    """Bits per character on the test split (or `split`) of the model, of
    the n-gram baseline fitted now on the same training text and of the
    compressors; with the options, adaptive figures, the cache and the
    mixtures (chosen on validation); samples; the conditional model's
    scores (test split only). Writes `metrics.json` and
    `plots/bits_per_character.png` (`pipeline.core.evaluation.output_dir`).
    """
    model, members, vocabulary = load_for_use(config, run_dir)
    vocabulary_size = len(vocabulary) + 2
    e, n = config["evaluate"], config["ngram"]
    memory = config["memory"]["neighbours"] > 0
    selecting = config["cache"]["window"] > 0 or memory or e["mixture"]
    scored = [split] + (["validation"] if selecting and split != "validation" else [])
    ids = lm_data.split_ids(config, vocabulary, ("train", *scored), data, data_dir)
    train_ids = ids["train"]
    for s in scored:
        if len(ids[s]) < 2:
            raise UsageError(f"--set data.max_eval_chars: the {s} split needs 2 characters "
                             "or more")
    start = time.perf_counter()
    ngram = baselines.fit_ngram(config, train_ids, vocabulary_size)
    ngram_fit_seconds = time.perf_counter() - start
    scores, hidden, seconds = {}, {}, {}
    for s in scored:
        scores[s], hidden[s], seconds[s] = model_scores(config, members, ids[s])
        ngrams, seconds[s]["ngram_refit"] = ngram_scores(config, ngram, train_ids, ids[s])
        scores[s].update(ngrams)
    if n["long_order"]:
        start = time.perf_counter()
        for s, log2_p in baselines.long_ngram_log2(config, train_ids, vocabulary_size,
                                                   {s: ids[s] for s in scored}).items():
            scores[s].update(log2_p)
        long_ngram_seconds = time.perf_counter() - start
    figures = {s: base_figures(scores[s]) for s in scored}
    if config["cache"]["window"] > 0:
        add_caches(config, scores, hidden, ids, figures)
    if memory:
        add_memory(config, members, train_ids, scores, hidden, ids, figures)
    if e["mixture"]:
        add_mixtures(scores, figures)
    if e["compressors"]:
        texts = lm_data.texts(lm_data.load(data, data_dir), config)
        compressed = baselines.compressor_metrics(texts, split)
        figures[split].update(compressed)
        if "validation" in figures and split != "validation":
            figures["validation"].update(
                ppmd_bpc=compressed["ppmd_validation_bpc"][str(compressed["ppmd_order"])],
                lzma_bpc=compressed["lzma_validation_bpc"])
        for s in figures:
            add_compressor_ratios(figures[s])
    metrics = {
        **figures[split],
        "test_characters": int(len(scores[split]["model"])),
        "train_characters": int(len(train_ids)),
        "model_score_seconds": seconds[split]["model"],
        "ngram_fit_seconds": ngram_fit_seconds,
        "ngram": dict(config["ngram"]), "split": split,
        "ensemble": dict(config["ensemble"]),
    }
    if split != "validation" and "validation" in figures:
        metrics["validation"] = figures["validation"]  # the figures of the choices
    if n["long_order"]:
        metrics["long_ngram_seconds"] = long_ngram_seconds
    curves = [(-scores[split]["model"], config["model"]["cell"]),
              (-scores[split]["ngram"], f"{n['order']}-gram {n['method']}")]
    if "dynamic" in scores[split]:
        metrics.update({"dynamic_score_seconds": seconds[split]["dynamic"],
                        "ngram_refit_seconds": seconds[split]["ngram_refit"]})
        curves += [(-scores[split]["dynamic"], f"{config['model']['cell']}, dynamic evaluation"),
                   (-scores[split]["ngram_refitted"], f"{n['order']}-gram, refitted as it reads")]
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
