"""`ForecastTask`: the forecast task through the `Task` contract."""

from pipeline.core.task import Task
from pipeline.tasks.forecast import config


class ForecastTask(Task):
    """Windows of history to an H-step forecast (direct multi-step), scored
    against an ARIMA baseline fitted in the same run. The window, horizon,
    model level and linear term default to the series' (`config.SERIES`,
    resolved by `settings`)."""

    name = "forecast"
    description = "time-series forecasting against an ARIMA baseline"
    schema = config.SCHEMA
    presets = config.PRESETS
    variants = config.VARIANTS
    compare_metrics = config.COMPARE_METRICS
    size_unit = "target steps"
    objective = ("val_rmse", "min")

    def check_config(self, config):
        from pipeline.tasks.forecast import settings

        settings.check_config(config)

    def load_data(self, config, data=None, data_dir=None):
        from pipeline.tasks.forecast import data as series_data

        return series_data.load_data(config, data, data_dir)

    def prepare_data(self, task_data, config, directory):
        from pipeline.tasks.forecast import data as series_data

        return series_data.prepare_data(task_data, directory)

    def describe_data(self, task_data, count=3):
        from pipeline.tasks.forecast import data as series_data

        return series_data.describe(task_data, count)

    def memory_estimate(self, config):
        """`model.members` networks over a window (0: the longest series
        default, 104 steps) of one value, one forecast read out a window."""
        from pipeline.core import memory

        return memory.recurrent(config, steps=config["data"]["window"] or 104, vocabulary=1,
                                outputs=0, copies=config["model"]["members"])

    def recipe(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.forecast import model

        return model.recipe(config, run_dir)

    def train(self, config, run_dir, data=None, data_dir=None):
        """Prepares the data unless the run has it, then trains with the
        series' defaults written into `config` (so `config.json` records the
        window, horizon, level and linear window the run used)."""
        import keras

        from pipeline.core import rundir

        rundir.ensure_prepared(self, config, run_dir, data, data_dir)
        config = self.trained_config(config, run_dir)
        keras.utils.set_random_seed(config["train"]["seed"])
        return super().train(config, run_dir, data, data_dir)

    def trained_config(self, config, run_dir):
        from pipeline.core import rundir
        from pipeline.tasks.forecast import settings

        return settings.resolved(config, rundir.read_json(run_dir, *rundir.PREPARED))

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        from pipeline.tasks.forecast import evaluation

        return evaluation.evaluate(config, run_dir, split)

    def export(self, config, run_dir, directory):
        from pipeline.tasks.forecast import server

        return server.export(config, run_dir, directory)

    def show_export(self, path, config, run_dir):
        from pipeline.tasks.forecast import server

        server.show_export(path, run_dir)

    def predict_lines(self, config, run_dir, inputs):
        from pipeline.tasks.forecast import predict

        return predict.predict_lines(config, run_dir, inputs)

    def sample_inputs(self, config):
        return [" ".join(f"{value:.1f}" for value in self._history(config))]

    def serving_request(self, config):
        return {"history": [self._history(config)] * 2}

    @staticmethod
    def _history(config):
        """A history longer than any series' default window: a noisy
        11-step cycle around 50 (the sunspots' shape)."""
        import math

        window = max(config["data"]["window"], 120)
        return [50 + 40 * math.sin(2 * math.pi * t / 11) + (t % 3) for t in range(window)]

    def inference_batch(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.forecast import evaluation

        return evaluation.inference_batch(run_dir)

    def search_space(self, hp, config):
        from pipeline.tasks.forecast import search

        return search.search_space(hp, config)


TASK = ForecastTask()
