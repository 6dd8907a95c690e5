"""Where a model's variables and steps run: the `tf.distribute` strategies
of `train.strategy` and what Keras needs to train under them."""

import os

import tensorflow as tf

from pipeline.core.errors import UsageError
from pipeline.core.schema import STRATEGIES

_STRATEGIES = {}  # one instance per name and process (multiworker and tpu need that)


def strategy_named(name="default"):
    """The `tf.distribute.Strategy` called `name` (one of `STRATEGIES`).

    `default` is the current strategy (no distribution outside a scope);
    `mirrored` copies the model to every local GPU (or logical CPU device)
    and averages the gradients of the replicas' shares of each global batch;
    `multiworker` does the same across the processes `TF_CONFIG` names (a
    chief or worker 0 writes the run's files, the others write under
    `<run-dir>/workers/`); `tpu` connects to the TPU the environment names.
    A process creates each strategy once: call this early (before other
    TensorFlow work) for `multiworker`, whose collectives must be configured
    at program start.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name not in STRATEGIES:
        raise UsageError(f"--strategy {name}: choose from {', '.join(STRATEGIES)}")
    if name not in _STRATEGIES:
        if name == "mirrored":
            gpus = tf.config.list_logical_devices("GPU")
            devices = gpus or tf.config.list_logical_devices("CPU")
            strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        elif name == "multiworker":
            strategy = MultiWorkerMirroredStrategy()
        else:
            try:
                resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            except ValueError as error:  # no TPU named by the environment
                raise UsageError(f"--strategy tpu: no TPU found ({error}); run on a TPU VM or "
                                 "set TPU_NAME") from None
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            strategy = tf.distribute.TPUStrategy(resolver)
        _STRATEGIES[name] = strategy
    return _STRATEGIES[name]


class MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`tf.distribute.MultiWorkerMirroredStrategy` as Keras 3's `fit` calls it.

    Keras (3.15) reduces each replica's scalar metric results with
    `reduce("MEAN", value, axis=0)`, which this strategy rejects for scalars
    (keras-team/keras#20585); a scalar is averaged over the replicas instead.
    """

    def reduce(self, reduce_op, value, axis):
        if axis is not None and self.experimental_local_results(value)[0].shape.rank == 0:
            axis = None
        return super().reduce(reduce_op, value, axis)


def adapt_for_strategy(model, strategy, batches):
    """Lets `model.fit` and `model.evaluate` run under a distribution strategy.

    Before its first step Keras (3.15) builds the metrics from a batch it
    reduces across the replicas (`_maybe_symbolic_build`), which fails when
    the replicas' shares of the batch differ in size (any batch of odd size
    under two replicas) and, across workers, for dict batches
    (keras-team/keras#20329, #20585); the model builds them from a local
    batch of `batches` instead. A no-op outside a strategy.
    """
    if getattr(model, "_distribute_strategy", None) is None:
        return model
    local = next(iter(batches))

    def symbolic_build(iterator=None, data_batch=None):
        with strategy.scope():
            model._symbolic_build(data_batch=local)

    model._maybe_symbolic_build = symbolic_build
    return model


def writer_dir(strategy, run_dir):
    """Where this process writes a run's files: `run_dir`, except on the
    non-chief workers of a multi-worker strategy, which write the same files
    (every worker must run the same callbacks) under
    `<run_dir>/workers/<type>-<index>/`."""
    if strategy.extended.should_checkpoint:
        return run_dir
    resolver = strategy.cluster_resolver
    return os.path.join(run_dir, "workers", f"{resolver.task_type}-{resolver.task_id}")
