"""Task libraries: what the stage scripts call for each task.

Each task of DESIGN section 3 is one module `pipeline.tasks.<task>` with:

- `DEFAULTS`: the nested configuration dict (sections `data`, `model`,
  `train`, ...; `train` holds the keys `pipeline.core.training.fit` reads; a
  section named after the task holds the prepare options of
  `pipeline.prepare.OPTIONS`, e.g. `forecast.series`);
- `PRESETS`: `{"smoke": {...}, "quick": {...}, "full": {...}}` overrides;
- `VARIANTS`: `{name: overrides}`, the models `pipeline.compare` can train;
- `COMPARE_METRICS`: metric keys `pipeline.compare` tabulates (first charted);
- `inference_batch(config, run_dir, data=None, data_dir=None)` ->
  `(infer, count)`: a no-argument function running the trained model's
  inference on `count` test examples (`pipeline.compare` times it);
- `train(config, run_dir, data=None, data_dir=None)` -> Keras history dict;
- `evaluate(config, run_dir, data=None, data_dir=None)` -> metrics dict,
  also written to `<run_dir>/metrics.json`;
- `export(config, run_dir, directory)` -> metadata dict; writes the
  SavedModel (DESIGN section 5) into `directory`;
- `predict_lines(config, run_dir, inputs)` -> printable lines, one an input;
- `show_export(path, config, run_dir)`: prints the export's answers for a
  few inputs, read back with `tf.saved_model.load` (the `run` stage).
"""

import importlib

#: Every task of DESIGN section 3.
TASKS = ("g2p", "lm", "classify", "forecast", "synthetic")


def load(task):
    """The library of `task` (`pipeline.tasks.<task>`)."""
    from pipeline.core.errors import UsageError

    if task not in TASKS:
        raise UsageError(f"--task {task}: choose from {', '.join(TASKS)}")
    try:
        return importlib.import_module(f"pipeline.tasks.{task}")
    except ModuleNotFoundError as error:
        if error.name != f"pipeline.tasks.{task}":
            raise
        raise UsageError(f"--task {task}: the stages are not implemented for {task} yet") \
            from None
