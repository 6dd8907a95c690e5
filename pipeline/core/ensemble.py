"""Ensembles: the models of several runs of one task used as one model.

`--set ensemble.runs=DIR[,DIR...]` (tasks `g2p` and `lm`) adds the trained
models of other runs to the run's own when it is evaluated, used for
prediction or generation, and exported. The runs must share the run's
vocabularies (prepared from the same data); how the models combine is the
task's: G2P's beam search follows the mean of their log-probabilities
(`pipeline.tasks.g2p.server.G2PServer`), the language model predicts the mean of
their probabilities (`models.lm.LanguageModelMixture`).
"""

import os

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
