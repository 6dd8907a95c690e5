"""Ensembles: the models of several runs of one task used as one model.

`--set ensemble.runs=DIR[,DIR...]` (tasks `g2p` and `lm`) adds the trained
models of other runs to the run's own when it is evaluated, used for
prediction or generation, and exported. The runs must share the run's
vocabularies (prepared from the same data); how the models combine is the
task's: G2P's beam search follows the mean of their log-probabilities
(`pipeline.tasks.g2p.server.G2PServer`), the language model predicts the mean of
their probabilities (`models.lm.LanguageModelMixture`).

`fit_mixture_weights` and `mixture_log2` mix any models per item with
weights fitted on validation scores, and `online_mixture_log2` goes on
learning the weights as it reads (the LM task mixes its network, cache,
memory and n-grams per character this way, `pipeline.tasks.lm.evaluation`).
"""

import os

import numpy as np

from pipeline.core.errors import UsageError

#: The configuration section of the tasks that ensemble ("" = the run alone).
DEFAULTS = {"runs": ""}


def run_dirs(config):
    """The run directories `ensemble.runs` lists (comma-separated)."""
    return parse_runs(config["ensemble"]["runs"])


def parse_runs(text):
    """The directories of a comma-separated list, blanks dropped."""
    return [path.strip() for path in text.split(",") if path.strip()]


def load(config, run_dir, load_trained):
    """`(models, vocabulary)`: the run's model followed by those of the runs
    `ensemble.runs` lists, each read with `load_trained(dir)` ->
    `(model, vocabulary)`, and the run's vocabulary. A listed directory that
    holds no trained model, or whose vocabulary differs, is a usage error."""
    model, vocabulary = load_trained(run_dir)
    others = load_others(run_dirs(config), run_dir, vocabulary, load_trained,
                         flag="ensemble.runs", task=config["task"])
    return [model, *others], vocabulary


def load_others(paths, run_dir, vocabulary, load_trained, *, flag, task):
    """The trained models of the runs `paths`, which must share `run_dir`'s
    `vocabulary`; a usage error names `--set flag` otherwise."""
    models = []
    for other in paths:
        if not os.path.exists(os.path.join(other, "model.keras")):
            raise UsageError(f"--set {flag}: {other} holds no trained model "
                             f"(model.keras); list run directories of trained {task} runs")
        other_model, other_vocabulary = load_trained(other)
        if other_vocabulary != vocabulary:
            raise UsageError(f"--set {flag}: {other} has other vocabularies than "
                             f"{run_dir}; list runs prepared from the same data")
        models.append(other_model)
    return models


def mixture_log2(log2_probs, weights):
    """log2 sum_m w_m p_m `[N]` of per-item log2-probabilities `[M, N]`
    under mixture weights `[M]` (linear interpolation)."""
    log2_probs = np.asarray(log2_probs, np.float64)
    with np.errstate(divide="ignore"):
        log2_w = np.log2(np.asarray(weights, np.float64))[:, None]  # [M, 1]
    return np.logaddexp2.reduce(log2_w + log2_probs, axis=0)


def fit_mixture_weights(log2_probs, iterations=200, tolerance=1e-7):
    """The weights `[M]` of the linear mixture of M models that maximise the
    likelihood of the items they scored, `log2_probs` `[M, N]` (per item
    the log2-probability each model gave it), by expectation-maximisation
    (Jelinek and Mercer 1980, deleted interpolation; Dempster, Laird and
    Rubin 1977): each step sets w_m to the mean posterior of model m,
    ``w_m <- mean_t w_m p_m(t) / sum_k w_k p_k(t)``, which never lowers the
    likelihood. Starts from equal weights; stops when the mean log2-
    likelihood gains less than `tolerance`. Fit on validation items, then
    score the test items with `mixture_log2`.
    """
    log2_probs = np.asarray(log2_probs, np.float64)
    if log2_probs.ndim != 2 or log2_probs.shape[1] == 0:
        raise ValueError("`log2_probs` must be [models, items] with items. "
                         f"Received: shape={log2_probs.shape}")
    weights = np.full(len(log2_probs), 1.0 / len(log2_probs))
    previous = -np.inf
    for _ in range(iterations):
        mixed = mixture_log2(log2_probs, weights)  # [N]
        with np.errstate(divide="ignore"):
            posterior = np.exp2(np.log2(weights)[:, None] + log2_probs - mixed)  # [M, N]
        weights = posterior.mean(axis=1)
        weights /= weights.sum()
        score = float(mixed.mean())
        if score - previous < tolerance:
            break
        previous = score
    return weights


def online_mixture_log2(log2_probs, weights, rate):
    """log2 sum_m w_m(t) p_m(t) `[N]` with weights learned as the items are
    read: item t is scored with the current weights, then the weights move
    towards item t's posterior over the models,

        w(t+1) = (1 - rate) w(t) + rate * w(t) p(t) / sum_k w_k(t) p_k(t),

    the stochastic-approximation form of the EM step of
    `fit_mixture_weights` (Cappé and Moulines 2009, "On-line
    expectation-maximization algorithm for latent data models", JRSS B
    71(3)); the weights stay on the simplex and follow the models that have
    been predicting best lately, so a mixture fitted on one text adapts to
    another whose models rank otherwise. No item's score reads a later
    item. `rate` 0 is `mixture_log2` with the fixed `weights`.

    Args:
        log2_probs: `[M, N]` the log2-probability each model gave each item,
            in reading order.
        weights: `[M]` the starting weights (e.g. `fit_mixture_weights`'s on
            validation items).
        rate: in [0, 1].
    """
    log2_probs = np.asarray(log2_probs, np.float64)
    if not 0 <= rate <= 1:
        raise ValueError(f"`rate` must lie in [0, 1]. Received: rate={rate}")
    weights = np.asarray(weights, np.float64).copy()
    out = np.empty(log2_probs.shape[1])
    for t, column in enumerate(log2_probs.T):  # [M]
        top = column.max()  # scale by the best model: no underflow
        if top == -np.inf:  # no model gave the item any probability
            out[t] = -np.inf
            continue
        joint = weights * np.exp2(column - top)  # [M]
        total = joint.sum()
        out[t] = np.log2(total) + top
        weights = (1 - rate) * weights + rate * joint / total
    return out
