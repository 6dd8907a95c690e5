"""The HyperModel of a task still written as one module (`tuning.hypermodels.<task>`);
it goes when the last task has moved into its folder (`tuning.hypermodel` is the one
for tasks in folders).

`TaskHyperModel`: a keras-tuner HyperModel that tunes a task's own configuration.

A task's search space is a mapping from hyperparameters onto the task's
configuration dict (`pipeline.tasks.<task>.DEFAULTS`, after the preset and
`--set` flags): `space(hp, config)` declares the hyperparameters and returns
the configuration overrides they choose. The model is then built by the
task's own `build_model`, compiled exactly as `pipeline.core.training.fit`
compiles (Adam with `learning_rate`, global-norm `clipnorm` and the
`schedule`), and fitted on the task's own input pipeline and callbacks, so
a trial trains the model the stages train. Every hyperparameter's default
is the configuration's value, so the default point of the space is the
configuration the stages would run.

The objective is the task's validation metric (G2P word error rate, LM bits
per character, ...), computed after every epoch by `EpochMetrics` and added
to the epoch logs under a `val_` name: keras-tuner's best-epoch checkpoint,
early stopping and Hyperband all read it from there.

A subclass sets `task` and `objective` and implements `space`,
`build_model`, `datasets`, `loss` and, as its task needs, `metrics`,
`total_steps`, `callbacks` and (when the objective is not a Keras metric)
`validation_metrics`.
"""

import contextlib

import keras
import keras_tuner

from pipeline.core import distribution, training
from pipeline.core.errors import UsageError
from tuning.hypermodel import EpochMetrics, choice, merge  # noqa: F401 (choice: the spaces)


class TaskHyperModel(keras_tuner.HyperModel):
    """The search space of one task, over its configuration.

    Args:
        config: the task's resolved configuration (`pipeline.core.config.resolve`).
        run_dir: a directory holding the prepare stage's output (`data/`).
        data, data_dir: the `--data` and `--data-dir` of the stages.
        verbose: Keras progress output of each trial's `fit`.
    """

    task = None
    #: The `keras_tuner.Objective` the search optimises.
    objective = None

    def __init__(self, config, run_dir, data=None, data_dir=None, verbose="auto"):
        super().__init__(name=f"{self.task}_hypermodel")
        if config.get("task") != self.task:
            raise ValueError(f"Expected a {self.task} configuration. "
                             f"Received: config['task']={config.get('task')!r}")
        self.base_config = config
        self.run_dir = run_dir
        self.data = data
        self.data_dir = data_dir
        self.verbose = verbose
        self.declaring = False

    # -- what a task provides ---------------------------------------------------------------

    def space(self, hp, config):
        """Declares the hyperparameters on `hp` and returns the configuration
        overrides `{section: {key: value}}` their values choose."""
        raise NotImplementedError

    def build_model(self, config):
        """The uncompiled model `config` describes (the task's `build_model`)."""
        raise NotImplementedError

    def datasets(self, config):
        """`(train_batches, valid_batches)` of the task's input pipeline."""
        raise NotImplementedError

    def loss(self, config):
        raise NotImplementedError

    def metrics(self, config):
        """Keras metrics to compile with (default none)."""
        return None

    def total_steps(self, config):
        """Optimizer steps of a full run, for a cosine `train.schedule`
        (`pipeline.core.training.optimizer`; default None: a constant rate)."""
        return None

    def callbacks(self, config):
        """The task's own training callbacks (default none)."""
        return []

    def validation_metrics(self, model, config):
        """`{"val_...": value}` computed from the model after an epoch; the
        objective when it is not a Keras metric (default none)."""
        return {}

    # -- keras-tuner's interface --------------------------------------------------------------

    def config(self, hp):
        """The task configuration the values of `hp` describe."""
        return merge(self.base_config, self.space(hp, self.base_config))

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
        `pipeline.core.training.fit` compiles it. keras-tuner calls this inside
        the tuner's `distribution_strategy` scope."""
        config = self.config(hp)
        if self.declaring:
            return None
        t = config["train"]
        keras.utils.set_random_seed(t["seed"])
        try:
            model = self.build_model(config)
        except (ValueError, UsageError) as error:  # a combination the task rejects: no retry
            raise keras_tuner.errors.FailedTrialError(str(error)) from error
        model.compile(optimizer=training.optimizer(t, self.total_steps(config)),
                      loss=self.loss(config), metrics=self.metrics(config),
                      jit_compile=t["jit_compile"])
        return model

    def fit(self, hp, model, *args, callbacks=(), epochs=None, initial_epoch=0, **kwargs):
        """Fits `model` on the task's data; returns the Keras `History`, whose
        logs hold the objective of every epoch.

        `epochs` and `initial_epoch` come from Hyperband; otherwise the
        configuration's `train.epochs`, with early stopping on the objective
        after `train.patience` epochs without improvement.
        """
        config = self.config(hp)
        try:
            train_batches, valid_batches = self.datasets(config)
        except UsageError as error:  # e.g. sequences longer than a split: no retry
            raise keras_tuner.errors.FailedTrialError(str(error)) from error
        distribution.adapt_for_strategy(model, model.distribute_strategy, train_batches)
        name, direction = self.objective.name, self.objective.direction
        first = [*training.ema_callbacks(config["train"]),  # the averaged weights, if any
                 EpochMetrics(lambda: self.validation_metrics(model, config)),
                 keras.callbacks.EarlyStopping(monitor=name, mode=direction,
                                               patience=config["train"]["patience"]),
                 *self.callbacks(config)]
        return model.fit(train_batches, validation_data=valid_batches,
                         epochs=epochs or config["train"]["epochs"], initial_epoch=initial_epoch,
                         callbacks=[*first, *callbacks],
                         verbose=kwargs.get("verbose", self.verbose))
