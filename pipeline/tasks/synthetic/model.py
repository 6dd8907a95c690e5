"""The synthetic task's models, losses and training recipe."""

import keras
import numpy as np

from pipeline.core import training
from pipeline.core.errors import UsageError
from pipeline.core.task import Recipe
from pipeline.tasks.synthetic import data as problem_data
from pipeline.tasks.synthetic import inputs
from pipeline.tasks.synthetic.config import PROBLEMS


def check_config(config):
    """Raises a UsageError naming the flags for Transformer settings no
    stage can use (the single values are the schema's limits)."""
    m = config["model"]
    if m["cell"] == "transformer" and m["units"] % m["heads"]:
        raise UsageError(f"--set model.units={m['units']}: must be a multiple of "
                         f"model.heads={m['heads']}")
    if m["cell"] == "transformer" and config["train"]["flow_weight"]:
        raise UsageError("--set train.flow_weight: the regulariser needs a recurrent cell")


def build_model(config):
    """The model the configuration describes, built."""
    from models.synthetic import RecurrentNetwork, TransformerNetwork

    check_config(config)
    m, problem = config["model"], config["synthetic"]["problem"]
    spec = PROBLEMS[problem]
    if m["cell"] == "transformer":
        model = TransformerNetwork(m["units"], num_layers=m["layers"], heads=m["heads"],
                                   intermediate_dim=m["intermediate_dim"], **spec,
                                   name=f"{problem}_transformer")
    else:
        model = RecurrentNetwork(m["cell"], m["units"], flow_weight=config["train"]["flow_weight"],
                                 **spec, name=f"{problem}_{m['cell']}")
    model(example_inputs(problem))
    return model


def example_inputs(problem, batch=1, length=2):
    if problem == "adding":
        return np.zeros((batch, length, 2), "float32")
    return np.zeros((batch, length), "int32")


def loss_and_metrics(problem):
    if problem == "adding":
        return "mse", None
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]


def recipe(config, data=None, data_dir=None):
    """The training `Recipe`: the problem's batches, model and loss."""
    check_config(config)
    examples = problem_data.load_splits(config, data, data_dir)
    d, problem = config["data"], config["synthetic"]["problem"]
    loss, metrics = loss_and_metrics(problem)
    return Recipe(
        build_model=lambda: build_model(config),
        train_batches=inputs.batches(examples["train"], batch_size=d["batch_size"],
                                     training=True, seed=d["seed"]),
        valid_batches=inputs.batches(examples["validation"], batch_size=d["batch_size"]),
        loss=loss, metrics=metrics)


def load_trained(run_dir):
    import models.synthetic  # noqa: F401  (registers the task's models)

    return training.load_trained(run_dir)
