"""`SyntheticTask`: the synthetic task through the `Task` contract."""

from pipeline.core.task import Task
from pipeline.tasks.synthetic import config


class SyntheticTask(Task):
    """Long-range benchmarks (adding, copy, parity) against the memoryless
    baseline; no serving export."""

    name = "synthetic"
    description = "long-range benchmarks: adding problem, copy task, per-step parity"
    schema = config.SCHEMA
    presets = config.PRESETS
    variants = config.VARIANTS
    compare_metrics = config.COMPARE_METRICS
    exportable = False

    def check_config(self, config):
        from pipeline.tasks.synthetic import model

        model.check_config(config)

    def load_data(self, config, data=None, data_dir=None):
        from pipeline.tasks.synthetic import data as problem_data

        return problem_data.load_data(config, data, data_dir)

    def describe_data(self, task_data, count=3):
        from pipeline.tasks.synthetic import data as problem_data

        return problem_data.describe(task_data, count)

    def memory_estimate(self, config):
        """The network over `synthetic.length` steps of a few input values."""
        from pipeline.core import memory

        return memory.recurrent(config, steps=config["synthetic"]["length"], vocabulary=10)

    def recipe(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.synthetic import model

        return model.recipe(config, data, data_dir)

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        from pipeline.tasks.synthetic import evaluation

        return evaluation.evaluate(config, run_dir, data, data_dir, split)

    def predict_lines(self, config, run_dir, inputs):
        from pipeline.tasks.synthetic import predict

        return predict.predict_lines(config, run_dir, inputs)

    def sample_inputs(self, config):
        from pipeline.tasks.synthetic import predict

        return predict.SAMPLES[config["synthetic"]["problem"]]

    def inference_batch(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.synthetic import evaluation

        return evaluation.inference_batch(config, run_dir, data, data_dir)

    def search_space(self, hp, config):
        from pipeline.tasks.synthetic import search

        return search.search_space(hp, config)


TASK = SyntheticTask()
