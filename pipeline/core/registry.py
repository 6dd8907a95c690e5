"""The registry of tasks: every `pipeline.core.task.Task` by its name.

It finds the built-in tasks by their folders under `pipeline/tasks/`
without importing them (so `--help` answers at once), imports a task's
folder only when a stage asks for it (`get`), and takes tasks defined
anywhere else with `register` (a test's toy task, a user's plug-in).
"""

import importlib
import os
import pkgutil

from pipeline.core.errors import UsageError
from pipeline.core.task import Task

_REGISTERED = {}


def builtin_names():
    """The folders of `pipeline/tasks/` that hold a `task.py`, found without
    importing them."""
    import pipeline.tasks

    return [module.name for module in pkgutil.iter_modules(pipeline.tasks.__path__)
            if module.ispkg and os.path.exists(
                os.path.join(pipeline.tasks.__path__[0], module.name, "task.py"))]


def names():
    """Every task's name: the built-in folders, then registered tasks."""
    return tuple(dict.fromkeys([*builtin_names(), *_REGISTERED]))


def register(task):
    """Adds `task` (a `Task` instance) to the registry under `task.name`;
    returns it."""
    if not isinstance(task, Task) or not task.name:
        raise ValueError(f"Expected a Task instance with a name. Received: {task!r}")
    _REGISTERED[task.name] = task
    return task


def unregister(name):
    _REGISTERED.pop(name, None)


def get(name):
    """The `Task` called `name`; a UsageError naming `--task` otherwise."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in builtin_names():
        raise UsageError(f"--task {name}: choose from {', '.join(names())}")
    task = importlib.import_module(f"pipeline.tasks.{name}.task").TASK
    _REGISTERED[name] = task
    return task
