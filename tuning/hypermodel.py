"""`TaskHyperModel`: one keras-tuner HyperModel for every task, through the
`pipeline.core.task.Task` contract.

A task's search space (`Task.search_space(hp, config)`, in the task's
folder) declares hyperparameters on `hp`, each with the configuration's
value as its default, and returns the configuration overrides they choose;
so the default point of the space is the configuration the stages would
run. A trial then trains exactly what the train stage trains: the task's
`Recipe` (model, tf.data batches, loss, metrics, callbacks), compiled as
`pipeline.core.training.fit` compiles it (Adam with `learning_rate`,
global-norm `clipnorm` and the `schedule`).

The objective is the task's `objective`: a Keras validation metric, or a
value the recipe's `validation_metrics` computes after every epoch (G2P's
word error rate, the LM's bits per character), added to the epoch logs by
`pipeline.core.training.EpochMetrics` so that keras-tuner's best-epoch
checkpoint, early stopping and Hyperband read it there.
"""

import contextlib
import copy

import keras
import keras_tuner

from pipeline.core import distribution, training
from pipeline.core.errors import UsageError


def choice(hp, name, values, default, **kwargs):
    """`hp.Choice` whose values always include `default` (the configuration's
    value), sorted when they can be."""
    values = list(values) if default in values else [*values, default]
    with contextlib.suppress(TypeError):
        values = sorted(values)
    return hp.Choice(name, values, default=default, **kwargs)


def merge(config, overrides):
    """`config` with the `{section: {key: value}}` overrides applied; a value
    of None (an inactive conditional hyperparameter) keeps the config's."""
    config = copy.deepcopy(config)
    for section, values in overrides.items():
        for key, value in values.items():
            if key not in config[section]:
                raise KeyError(f"{section}.{key} is not in the {config['task']} configuration")
            if value is not None:
                config[section][key] = value
    return config


class TaskHyperModel(keras_tuner.HyperModel):
    """The search space of one task, over its configuration.

    Args:
        task: the `pipeline.core.task.Task`.
        config: the task's resolved configuration (`pipeline.core.config.resolve`).
        run_dir: a directory holding the prepare stage's output (`data/`).
        data, data_dir: the `--data` and `--data-dir` of the stages.
        verbose: Keras progress output of each trial's `fit`.
    """

    def __init__(self, task, config, run_dir, data=None, data_dir=None, verbose="auto"):
        super().__init__(name=f"{task.name}_hypermodel")
        if config.get("task") != task.name:
            raise ValueError(f"Expected a {task.name} configuration. "
                             f"Received: config['task']={config.get('task')!r}")
        self.task = task
        self.objective = keras_tuner.Objective(*task.objective)
        self.base_config = config
        self.run_dir = run_dir
        self.data = data
        self.data_dir = data_dir
        self.verbose = verbose
        self.declaring = False

    def space(self, hp, config):
        """Declares the task's hyperparameters on `hp`; returns the overrides."""
        return self.task.search_space(hp, config)

    def config(self, hp):
        """The task configuration the values of `hp` describe."""
        return merge(self.base_config, self.space(hp, self.base_config))

    def recipe(self, config):
        """The task's `Recipe` for `config`; a configuration the task refuses
        fails the trial without a retry."""
        try:
            return self.task.recipe(config, self.run_dir, self.data, self.data_dir)
        except (ValueError, UsageError) as error:
            raise keras_tuner.errors.FailedTrialError(str(error)) from error

    @contextlib.contextmanager
    def declaring_only(self):
        """Within the block `build` declares the space and builds nothing (the
        tuner calls `build` repeatedly to find every conditional
        hyperparameter; building real models there is wasted time)."""
        self.declaring = True
        try:
            yield
        finally:
            self.declaring = False

    def build(self, hp):
        """Builds and compiles the model `hp` describes, as
        `pipeline.core.training.fit` compiles it. keras-tuner calls this
        inside the tuner's `distribution_strategy` scope."""
        config = self.config(hp)
        if self.declaring:
            return None
        t = config["train"]
        keras.utils.set_random_seed(t["seed"])
        recipe = self.recipe(config)
        try:
            model = recipe.build_model()
        except (ValueError, UsageError) as error:  # a combination the task rejects: no retry
            raise keras_tuner.errors.FailedTrialError(str(error)) from error
        model.compile(optimizer=training.optimizer(t, recipe.total_steps), loss=recipe.loss,
                      metrics=recipe.metrics, jit_compile=t["jit_compile"])
        return model

    def fit(self, hp, model, *args, callbacks=(), epochs=None, initial_epoch=0, **kwargs):
        """Fits `model` on the task's data; returns the Keras `History`, whose
        logs hold the objective of every epoch.

        `epochs` and `initial_epoch` come from Hyperband; otherwise the
        configuration's `train.epochs`, with early stopping on the objective
        after `train.patience` epochs without improvement.
        """
        config = self.config(hp)
        recipe = self.recipe(config)
        distribution.adapt_for_strategy(model, model.distribute_strategy, recipe.train_batches)
        compute = recipe.validation_metrics or (lambda model: {})
        first = [*training.ema_callbacks(config["train"]),  # the averaged weights, if any
                 training.EpochMetrics(lambda: compute(model)),
                 keras.callbacks.EarlyStopping(monitor=self.objective.name,
                                               mode=self.objective.direction,
                                               patience=config["train"]["patience"]),
                 *recipe.callbacks]
        return model.fit(recipe.train_batches, validation_data=recipe.valid_batches,
                         epochs=epochs or config["train"]["epochs"], initial_epoch=initial_epoch,
                         steps_per_epoch=recipe.steps_per_epoch,
                         callbacks=[*first, *callbacks],
                         verbose=kwargs.get("verbose", self.verbose))
