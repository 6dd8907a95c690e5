"""The G2P task's learned n-best reranker (`--set rerank.learned=true`).

The search's candidate lists (`G2PServer.candidates`: the searching
ensemble's beam, joined with the other direction's with `rerank.propose`)
are reordered by a log-linear model (`models.classical.loglinear_rerank`) whose
features are every model's log P(Y | X) of the whole candidate and, with
`rerank.joint_order` > 0, the log p(X, Y) of a joint-sequence (graphone)
n-gram model fitted on the training split (`models.classical.joint_sequence`,
Bisani and Ney 2008): a count-based model whose errors differ from the
networks'. A candidate is right when it equals a reference without
stress, the task's headline score (docs/architecture.md section 3).

The weights are fitted on the validation split's lists. Scoring the
validation split itself would then be optimistic, so its lists are
cross-fitted: five folds by `(crc32(word) // 20) % 5` (every validation
word has `crc32 % 20 == 1`), each scored with the weights fitted on the
other four. The fitted weights go to `<run-dir>/rerank.json`; the joint
model is cached in `<run-dir>/joint_sequence_<order>.pkl`. The features
are computed in the graph (`G2PServer.candidates`), for fitting as for
`predict` and `export`, which rank with the fitted weights
(`load_fitted`, `G2PServer.learned_best`).
"""

import json
import os
import pickle
import zlib

import keras
import numpy as np
import tensorflow as tf

from models.classical import loglinear_rerank
from pipeline.core import atomic
from pipeline.core.ensemble import parse_runs
from pipeline.tasks.g2p.scoring import strip_stress

FOLDS = 5


def candidate_lists(server, words, batch_size=256, progress=None):
    """`(phonemes [W, K] str, features [W, K, F], lengths [W, K], valid
    [W, K])` over `words`, batch by batch (`G2PServer.candidates`)."""
    parts = []
    for start in range(0, len(words), batch_size):
        out = server.candidates(tf.constant(words[start : start + batch_size]))
        phonemes, features, lengths, valid = (x.numpy() for x in out)
        parts.append((phonemes.astype(str), features, lengths, valid))
        if progress:
            progress(len(parts[-1][0]))
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))


#: bumped when the pickled model's layout changes (2: the n-gram's
#: prefix ranks, `CharNGram.prefixes`), so an older cache is refitted
CACHE_FORMAT = 2


def joint_model(config, run_dir, train_entries):
    """The `JointSequenceModel` of `rerank.joint_order` fitted on the
    training pronunciations without stress, from the run's cache when it
    was fitted on the same words."""
    from models.classical.joint_sequence import JointSequenceModel

    order = config["rerank"]["joint_order"]
    pairs = sorted((w, tuple(strip_stress(p.split()))) for w, ps in train_entries.items()
                   for p in ps)
    key = zlib.crc32(repr((CACHE_FORMAT, pairs)).encode("utf-8"))
    path = joint_path(config, run_dir)
    if os.path.exists(path):
        with open(path, "rb") as f:
            cached = pickle.load(f)
        if cached["key"] == key:
            return cached["model"]
    print(f"fitting the order-{order} joint-sequence model on {len(pairs)} training "
          "pronunciations", flush=True)
    model = JointSequenceModel(order=order)
    bar = keras.utils.Progbar(model.iterations, unit_name="EM pass")
    model.fit(pairs, progress=lambda i: bar.update(i + 1))
    atomic.write_bytes(path, pickle.dumps({"key": key, "model": model}))
    return model


def joint_path(config, run_dir):
    return os.path.join(run_dir, f"joint_sequence_{config['rerank']['joint_order']}.pkl")


def feature_names(config, run_dir):
    """The features' names, in their order: one per model, by run directory."""
    runs = [run_dir, *parse_runs(config["ensemble"]["runs"]),
            *parse_runs(config["rerank"]["runs"])]
    return [f"log P(Y|X) {d}" for d in runs] + (
        ["log p(X, Y) joint sequence"] if config["rerank"]["joint_order"] else [])


def unfitted(config, run_dir, all_splits):
    """`(None, joint model or None)`: the `G2PServer(learned=...)` whose
    candidates carry the features `rerank` fits weights to."""
    if not all_splits["validation"]:
        from pipeline.core.errors import UsageError

        raise UsageError("--set rerank.learned=true: the validation split is empty; the "
                         "reranker has nothing to be fitted on")
    joint = joint_model(config, run_dir, all_splits["train"]) \
        if config["rerank"]["joint_order"] else None
    return None, joint


def load_fitted(config, run_dir):
    """`(theta, joint model or None)` that `evaluate` fitted for this
    configuration (`rerank.json` and the joint model's cache); a UsageError
    that says what to run when they are missing or fitted for another one."""
    from pipeline.core.errors import UsageError

    path = os.path.join(run_dir, "rerank.json")
    fix = ("run `python -m pipeline.evaluate` with the same flags and --set "
           "rerank.learned=true first")
    if not os.path.exists(path):
        raise UsageError(f"{path}: no learned reranker was fitted; {fix}")
    with open(path, encoding="utf-8") as handle:
        fitted = json.load(handle)
    if (fitted["features"] != feature_names(config, run_dir)
            or fitted["propose"] != config["rerank"]["propose"]
            or fitted["joint_order"] != config["rerank"]["joint_order"]):
        raise UsageError(f"{path}: fitted for other runs or rerank settings; {fix}")
    joint = None
    if config["rerank"]["joint_order"]:
        with open(joint_path(config, run_dir), "rb") as handle:
            joint = pickle.load(handle)["model"]
    return np.array(fitted["weights"]), joint


def right_candidates(words, phonemes, entries):
    """bool `[W, K]`: the candidate equals a reference without stress."""
    def plain(pronunciation):
        return " ".join(strip_stress(pronunciation.split()))

    right = np.zeros(phonemes.shape, bool)
    for i, word in enumerate(words):
        references = {plain(r) for r in entries[word]}
        right[i] = [plain(p) in references for p in phonemes[i]]
    return right


def folds(words):
    """The cross-fitting fold of each validation word `[W]`."""
    return np.array([zlib.crc32(w.encode("utf-8")) // 20 % FOLDS for w in words])


def rerank(config, run_dir, server, all_splits, split):
    """`{word: [hypotheses, best first]}` for the words of `split`, reordered
    by the weights fitted on the validation split (cross-fitted when
    `split` is validation), and the summary written to `rerank.json`.
    `server` carries the features (`unfitted`)."""

    def lists(name):
        words = sorted(all_splits[name])
        bar = keras.utils.Progbar(len(words), unit_name="word")
        phonemes, x, _, valid = candidate_lists(server, words, progress=bar.add)
        return words, phonemes, valid, x

    words, phonemes, valid, x = lists("validation")
    right = right_candidates(words, phonemes, all_splits["validation"])
    theta = loglinear_rerank.fit(x, valid, right)
    crossed = loglinear_rerank.cross_fitted_scores(x, valid, right, folds(words))
    picked = right[np.arange(len(words)), crossed.argmax(axis=1)]
    atomic.write_json(os.path.join(run_dir, "rerank.json"), {
        "features": feature_names(config, run_dir), "weights": [float(t) for t in theta],
        "joint_order": config["rerank"]["joint_order"], "propose": config["rerank"]["propose"],
        "validation_words": len(words),
        "validation_cross_fitted_wer_no_stress": float(1.0 - picked.mean())})
    if split == "validation":
        scores = crossed
    else:
        words, phonemes, valid, x = lists(split)
        scores = loglinear_rerank.scores(x, valid, theta)
    order = np.argsort(-scores, axis=1, kind="stable")
    return {w: [phonemes[i, k] for k in order[i] if valid[i, k]] or [""]
            for i, w in enumerate(words)}
