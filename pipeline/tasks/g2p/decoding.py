"""Decoding a trained G2P run: its `G2PServer` with the configured
decoding (an ensemble, rescoring runs, the learned reranker), and words
decoded batch by batch."""

import json
import os

import tensorflow as tf

from pipeline.core import ensemble as ensemble_lib
from pipeline.core import training
from pipeline.core.errors import UsageError
from pipeline.tasks.g2p import data as g2p_data
from pipeline.tasks.g2p.server import G2PServer


def load_trained(run_dir):
    """The trained model of a run, and its vocabularies."""
    return training.load_trained(run_dir), g2p_data.load_vocabularies(run_dir)


def trained_direction(run_dir):
    """The `g2p.direction` a run was trained with (its `config.json`; runs
    from before the option are "l2r")."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        return "l2r"
    with open(path, encoding="utf-8") as f:
        return json.load(f).get("g2p", {}).get("direction", "l2r")


def make_server(config, run_dir, learned=None):
    """The `G2PServer` of a trained run with the configured decoding: the
    run's model, with those of the runs `ensemble.runs` lists (trained in
    the same direction), reranked by those of `rerank.runs`; `learned`, a
    `(theta, joint)` pair, as `G2PServer` takes it."""
    models, vocabularies = ensemble_lib.load(config, run_dir, load_trained)
    direction = trained_direction(run_dir)
    for other in ensemble_lib.run_dirs(config):
        if trained_direction(other) != direction:
            raise UsageError(f"--set ensemble.runs: {other} was trained with g2p.direction="
                             f"{trained_direction(other)}, {run_dir} with {direction}; one "
                             "search needs one direction (rescore with rerank.runs instead)")
    rerank_runs = ensemble_lib.parse_runs(config["rerank"]["runs"])
    rerank_models = ensemble_lib.load_others(rerank_runs, run_dir, vocabularies, load_trained,
                                             flag="rerank.runs", task="g2p")
    rerankers = [(m, trained_direction(d) == "r2l")
                 for m, d in zip(rerank_models, rerank_runs, strict=True)]
    if config["rerank"]["propose"] and not any(r != (direction == "r2l") for _, r in rerankers):
        raise UsageError(f"--set rerank.propose=true: no run in rerank.runs reads in the other "
                         f"direction than {run_dir} ({direction})")
    return G2PServer(models, vocabularies, **config["decode"], reverse=direction == "r2l",
                     rerankers=rerankers, rerank_weight=config["rerank"]["weight"],
                     propose=config["rerank"]["propose"], learned=learned)


def make_served(config, run_dir):
    """`make_server` for predict and export: with `rerank.learned`, ranked by
    the reranker `evaluate` fitted (`reranker.load_fitted`)."""
    from pipeline.tasks.g2p import reranker

    learned = reranker.load_fitted(config, run_dir) if config["rerank"]["learned"] else None
    return make_server(config, run_dir, learned)


def predict(server, words, batch_size=256):
    """`{word: "P H O N E S"}` for a list of words, batch by batch."""
    out = {}
    for start in range(0, len(words), batch_size):
        chunk = words[start : start + batch_size]
        phonemes, _ = server(tf.constant(chunk))
        out.update(zip(chunk, (p.decode() for p in phonemes.numpy()), strict=True))
    return out


def predict_nbest(server, words, batch_size=256):
    """`{word: ["P H ...", ...]}`, every hypothesis of the search, best first."""
    out = {}
    for start in range(0, len(words), batch_size):
        chunk = words[start : start + batch_size]
        phonemes, _ = server.nbest(tf.constant(chunk))
        out.update(zip(chunk, ([p.decode() for p in row] for row in phonemes.numpy()),
                       strict=True))
    return out


def predict_words(config, run_dir, words):
    """`[(word, phonemes, score)]` from a trained run, with the configured
    decoding."""
    server = make_served(config, run_dir)
    phonemes, scores = server(tf.constant(words, tf.string))
    return [(w, p.decode(), float(s))
            for w, p, s in zip(words, phonemes.numpy(), scores.numpy(), strict=True)]
