"""`ModuleTask`: the `Task` contract over a task still written as one module
`pipeline/tasks/<name>.py` (its `DEFAULTS`, `LIMITS`, `PRESETS`, `VARIANTS`
and functions). It lets the stages speak only the contract while the tasks
move into their folders one at a time; it goes when the last one has moved.
"""

from pipeline.core import schema as schema_lib
from pipeline.core.task import Task


def shared_limits():
    return {key: limit for key, (limit, _) in schema_lib.COMMON.items() if limit}


class ModuleTask(Task):
    """A task module seen through the `Task` contract."""

    def __init__(self, module):
        self.module = module
        self.name = module.__name__.rpartition(".")[2]
        limits = {**shared_limits(), **getattr(module, "LIMITS", {})}
        prepare_keys = getattr(module, "PREPARE_KEYS", ())
        run_keys = getattr(module, "RUN_KEYS", ())
        self.schema = schema_lib.Schema(*(
            schema_lib.Option(f"{section}.{key}", value, "", limits.get(f"{section}.{key}"),
                              prepare=f"{section}.{key}" in prepare_keys,
                              run_key=f"{section}.{key}" in run_keys)
            for section, values in module.DEFAULTS.items() for key, value in values.items()))
        self.presets = module.PRESETS
        self.variants = getattr(module, "VARIANTS", {})
        self.compare_metrics = getattr(module, "COMPARE_METRICS", ())
        self.exportable = getattr(module, "EXPORTABLE", True)
        self.size_unit = getattr(module, "SIZE_UNIT", "examples")

    def check_config(self, config):
        check = getattr(self.module, "check_config", None)
        if check:
            check(config)

    def load_data(self, config, data=None, data_dir=None):
        return self.module.load_data(config, data, data_dir)

    def prepare_data(self, task_data, config, directory):
        return self.module.prepare_data(task_data, config, directory)

    def describe_data(self, task_data, count=3):
        return self.module.describe_data(task_data, count)

    def train(self, config, run_dir, data=None, data_dir=None):
        return self.module.train(config, run_dir, data=data, data_dir=data_dir)

    def trained_config(self, config, run_dir):
        from pipeline.core import rundir

        resolved = getattr(self.module, "resolved", None)
        return resolved(config, rundir.read_json(run_dir, *rundir.PREPARED)) if resolved \
            else config

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        return self.module.evaluate(config, run_dir, data=data, data_dir=data_dir, split=split)

    def export(self, config, run_dir, directory):
        return self.module.export(config, run_dir, directory)

    def show_export(self, path, config, run_dir):
        return self.module.show_export(path, config, run_dir)

    def predict_lines(self, config, run_dir, inputs):
        return self.module.predict_lines(config, run_dir, inputs)

    def inference_batch(self, config, run_dir, data=None, data_dir=None):
        return self.module.inference_batch(config, run_dir, data=data, data_dir=data_dir)
