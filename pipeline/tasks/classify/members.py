"""The classical members of the classify combination, kept in the run
directory for the export and predict.

Evaluate fits the linear n-gram model and (with characters) the n-gram
language models on the training split, and chooses the weights of the
average `sum_k w_k P_k` of their and the network's class probabilities on
the validation split (`scoring.combine`). It writes both here,
`<run_dir>/combination.pkl`, tagged with a digest of the network's
`model.keras`; the export and predict read them back and serve the average
in one graph (`server.ClassifierServer`), so the export answers with the
system evaluate reports. A run retrained since (another digest) or never
evaluated serves the network alone.
"""

import os
import pickle

from pipeline.core import atomic
from pipeline.core.rundir import model_digest

FILE = "combination.pkl"


def save(run_dir, weights, models):
    """Writes the combination: `weights` `{name: w}` (the network's under
    "network") and `models` `{name: fitted classical model}` of every
    other member with a positive weight."""
    kept = {name: model for name, model in models.items() if weights.get(name, 0) > 0}
    atomic.write_bytes(os.path.join(run_dir, FILE), pickle.dumps(
        {"digest": model_digest(run_dir), "weights": dict(weights), "models": kept}))


def load(run_dir):
    """`(weights, models)` of the run's combination, or None when evaluate
    has not written one for the run's present network."""
    path = os.path.join(run_dir, FILE)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        saved = pickle.load(handle)  # written by evaluate into the run directory
    if saved["digest"] != model_digest(run_dir):
        return None
    return saved["weights"], saved["models"]
