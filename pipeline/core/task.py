"""The Task contract: what the stages, `pipeline.compare`, `tuning` and
`bench` may ask of a task, and the registry that finds tasks by name.

A task is a subclass of `Task` in its own folder, `pipeline/tasks/<name>/`,
whose `task.py` defines `TASK`, an instance; `pipeline.core.registry` finds
it by its folder. The engine (`pipeline.core`) calls only the members below
and never tests a task's name: adding a task is adding a folder.

The contract, by stage (`docs/architecture.md` section 5 describes the run
directory they share):

- configuration: `schema` (every key, `pipeline.core.schema`), `presets`
  (`smoke`, `quick`, `full` overrides), `check_config` (checks across keys);
- prepare: `load_data` (the split examples, a `pipeline.data.builders.TaskData`),
  `prepare_data` (fits vocabularies or normalisers on the training split and
  writes them into the run's `data/`), `describe_data` (lines prepare prints);
- train: `memory_estimate` (checked before anything is built), `recipe`
  (model builder, tf.data batches, loss, metrics, callbacks) and `train`,
  which by default fits the recipe with `pipeline.core.training`;
- evaluate: `evaluate`, which writes `metrics.json` and plots;
- export: `exportable`, `export` (the serving `tf.Module`'s SavedModel),
  `show_export` (a few answers read back from it) and `serving_request` (a
  request its signature answers);
- predict: `predict_lines`, and `sample_inputs` (inputs it can answer);
- compare: `variants`, `compare_metrics`, `inference_batch`;
- search: `search_space` and `objective` (`tuning.hypermodel.TaskHyperModel`).
"""

import dataclasses
from collections.abc import Callable

from pipeline.core.errors import UsageError

#: What `prepare` can say a split's size counts.
SIZE_UNITS = ("examples", "characters", "target steps")


@dataclasses.dataclass
class Recipe:
    """How to train a task's model: what `pipeline.core.training.fit` and
    the tuner's `TaskHyperModel` both run.

    Attributes:
        build_model: `() -> keras.Model`, uncompiled (called inside the
            distribution strategy's scope).
        train_batches, valid_batches: `tf.data.Dataset`s of `(inputs,
            targets)` batches.
        loss: the Keras loss; metrics: Keras metrics to compile with.
        monitor, mode: the validation value that early stopping and the
            best checkpoint follow: a value Keras logs (`val_loss`, a
            metric's `val_` name) or a key of `validation_metrics`, which
            the train stage then computes after every epoch.
        callbacks: the task's own training callbacks.
        steps_per_epoch: None to run each epoch to the end of its data.
        total_steps: optimizer steps of the run, for a cosine schedule.
        validation_metrics: `model -> {"val_...": value}` computed after an
            epoch, when the search objective is not a Keras metric.
    """

    build_model: Callable
    train_batches: object
    valid_batches: object
    loss: object
    metrics: list | None = None
    monitor: str = "val_loss"
    mode: str = "min"
    callbacks: list = dataclasses.field(default_factory=list)
    steps_per_epoch: int | None = None
    total_steps: int | None = None
    validation_metrics: Callable | None = None


class Task:
    """One task: its configuration, data, model, serving and scores.

    Subclasses set the class attributes and implement the methods their
    stages need; a method left as it is here raises a UsageError naming
    what the task lacks.

    Attributes:
        name: the `--task` value, the folder's name.
        description: one line for `--help` and the docs.
        schema: the task's `pipeline.core.schema.Schema`.
        presets: `{"smoke": {...}, "quick": {...}, "full": {...}}`
            configuration overrides (`{section: {key: value}}`).
        variants: `{name: overrides}`, the models `pipeline.compare` trains.
        compare_metrics: metric keys `pipeline.compare` tabulates (the
            first is charted).
        exportable: False for a task without a serving export.
        size_unit: what prepare's split sizes count (`SIZE_UNITS`).
        objective: `(metric, "min" or "max")` that a search optimises: a
            Keras metric's `val_` name, or a key of `Recipe.validation_metrics`.
    """

    name = None
    description = ""
    schema = None
    presets = {}
    variants = {}
    compare_metrics = ()
    exportable = True
    size_unit = "examples"
    objective = ("val_loss", "min")

    # -- configuration -------------------------------------------------------------------

    def check_config(self, config):
        """Raises a UsageError naming the flags of values that no stage can
        use together (single values are checked by the schema's limits)."""

    # -- prepare -------------------------------------------------------------------------

    def load_data(self, config, data=None, data_dir=None):
        """The split examples (`pipeline.data.builders.TaskData`) of the embedded
        data (`data` None), a user file or `tfds:NAME`."""
        raise self.lacks("data")

    def prepare_data(self, task_data, config, directory):
        """Fits what is fitted on the training split (vocabularies, a
        normaliser) and writes it into `directory` (the run's `data/`,
        staged); returns the fields to add to `prepared.json`."""
        return {}

    def describe_data(self, task_data, count=3):
        """Lines showing the first `count` training examples."""
        return []

    # -- train, evaluate ---------------------------------------------------------------------

    def memory_estimate(self, config):
        """The `pipeline.core.memory.Estimate` of training `config`'s model,
        from the configuration alone (before any data or model), or None
        for no estimate; the train stage refuses a run above a share of
        the machine's memory (`pipeline.core.memory.check`)."""
        return None

    def recipe(self, config, run_dir, data=None, data_dir=None):
        """The `Recipe` of training `config`'s model on the prepared data of
        `run_dir`."""
        raise self.lacks("training recipe")

    def train(self, config, run_dir, data=None, data_dir=None):
        """Trains (or resumes) and saves `<run_dir>/model.keras`; returns the
        Keras history dict."""
        from pipeline.core import training

        return training.train(self, config, run_dir, data, data_dir)

    def trained_config(self, config, run_dir):
        """The configuration the train stage records for `config` on the
        prepared data of `run_dir`, with defaults that depend on the data
        resolved (the tuner exports its best trial with it); default `config`."""
        return config

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        """Scores `split` ("test" or "validation"); writes the metrics and
        plots (`pipeline.core.evaluation`) and returns the metrics dict."""
        raise self.lacks("evaluation")

    # -- serve ---------------------------------------------------------------------------------

    def export(self, config, run_dir, directory):
        """Writes the SavedModel of the run into `directory`; returns the
        task's fields of `metadata.json`."""
        raise self.lacks("serving export")

    def show_export(self, path, config, run_dir):
        """Prints the export's answers for a few inputs, read back with
        `tf.saved_model.load` (the `run` stage)."""

    def predict_lines(self, config, run_dir, inputs):
        """One printable line an input."""
        raise self.lacks("predict stage")

    def sample_inputs(self, config):
        """A few inputs `predict_lines` answers for a run of `config`."""
        raise self.lacks("sample inputs")

    def serving_request(self, config):
        """`{input name: value}` (JSON values, batch first) that the export's
        `serving_default` signature answers, as a TF Serving client sends it."""
        raise self.lacks("serving export")

    # -- compare, search ---------------------------------------------------------------------

    def inference_batch(self, config, run_dir, data=None, data_dir=None):
        """`(infer, count)`: a no-argument function running the trained
        model on `count` test examples (`pipeline.compare` times it)."""
        raise self.lacks("inference timing")

    def search_space(self, hp, config):
        """Declares the hyperparameters on `hp` (each with the configuration's
        value as its default) and returns the overrides `{section: {key:
        value}}` they choose."""
        raise self.lacks("search space")

    def lacks(self, what):
        return UsageError(f"--task {self.name}: this task has no {what}")
