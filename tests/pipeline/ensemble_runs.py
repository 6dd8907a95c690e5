"""Shared by the task tests of ensembles (`--set ensemble.runs=...`): a
second trained run of the same data without a second training."""

import shutil

import numpy as np

from pipeline.core import training


def perturbed_copy(run_dir, destination, scale=0.3, seed=1):
    """Copies the trained run `run_dir` to `destination` with every weight of
    its model moved by Gaussian noise of standard deviation `scale`, so the
    copy shares the run's prepared data and vocabularies but predicts
    differently. Returns `destination` as a string."""
    destination = str(destination)
    shutil.copytree(run_dir, destination)
    model = training.load_trained(destination)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0.0, scale, w.shape).astype(w.dtype)
                       for w in model.get_weights()])
    training.save_model(model, destination)
    return destination
