"""One `TaskHyperModel` per task: `tuning.hypermodels.<task>`.

Each module is small: it declares the task's search space over the task's
configuration and reads everything else (model, input pipeline, metric)
from `pipeline.tasks.<task>`.
"""

import importlib

#: Tasks with a search space, and the class in `tuning.hypermodels.<task>`.
HYPERMODELS = {"lm": "LMHyperModel", "classify": "ClassifyHyperModel",
               "forecast": "ForecastHyperModel"}


def load(task):
    """The `TaskHyperModel` subclass of `task`."""
    from pipeline.core.errors import UsageError

    if task not in HYPERMODELS:
        raise UsageError(f"--task {task}: no search space yet; tasks with one: "
                         f"{', '.join(HYPERMODELS)}")
    module = importlib.import_module(f"tuning.hypermodels.{task}")
    return getattr(module, HYPERMODELS[task])
