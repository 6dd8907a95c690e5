"""`LMTask`: the character language model through the `Task` contract."""

import os
import time

from pipeline.core.task import Task
from pipeline.tasks.lm import config as lm_config


class LMTask(Task):
    """A character language model next to an n-gram baseline, and a word
    model conditioned on the language; serves sampled continuations."""

    name = "lm"
    description = "character language model beside an n-gram baseline; text generation"
    schema = lm_config.SCHEMA
    presets = lm_config.PRESETS
    variants = lm_config.VARIANTS
    compare_metrics = lm_config.COMPARE_METRICS
    size_unit = "characters"
    objective = ("val_bits_per_character", "min")

    def check_config(self, config):
        lm_config.check_config(config)

    def load_data(self, config, data=None, data_dir=None):
        from pipeline.tasks.lm import data as lm_data

        return lm_data.load_data(config, data, data_dir)

    def prepare_data(self, task_data, config, directory):
        from pipeline.tasks.lm import data as lm_data

        return lm_data.prepare_data(task_data, config, directory)

    def describe_data(self, task_data, count=3):
        from pipeline.tasks.lm import data as lm_data

        return lm_data.describe(task_data, count)

    def memory_estimate(self, config):
        """The character network over `data.sequence_length` steps (256
        characters, an upper bound of most texts' alphabets)."""
        from pipeline.core import memory

        return memory.recurrent(config, steps=config["data"]["sequence_length"],
                                vocabulary=256)

    def recipe(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.lm import model

        return model.recipe(config, run_dir, data, data_dir)

    def train(self, config, run_dir, data=None, data_dir=None):
        """Trains the character model with truncated BPTT (the generic train
        stage on `recipe`), then, with `conditional.enabled`, the conditional
        word model; saves `<run_dir>/model.keras` and
        `<run_dir>/conditional/model.keras`. The wall time of each training
        goes to `<run_dir>/train_seconds.json` for the metrics. Returns the
        Keras history dict of the character model."""
        import keras

        from pipeline.core import atomic
        from pipeline.tasks.lm import conditional

        keras.utils.set_random_seed(config["train"]["seed"])
        start = time.perf_counter()
        history = super().train(config, run_dir, data, data_dir)
        seconds = {"train_seconds": time.perf_counter() - start}
        if config["conditional"]["enabled"]:
            start = time.perf_counter()
            conditional.train(config, run_dir, data_dir)
            seconds["conditional_train_seconds"] = time.perf_counter() - start
        atomic.write_json(os.path.join(run_dir, "train_seconds.json"), seconds)
        return history

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        from pipeline.tasks.lm import evaluation

        return evaluation.evaluate(config, run_dir, data, data_dir, split)

    def export(self, config, run_dir, directory):
        from pipeline.tasks.lm import server

        return server.export(config, run_dir, directory)

    def show_export(self, path, config, run_dir):
        from pipeline.tasks.lm import server

        server.show_export(path, config, run_dir)

    def predict_lines(self, config, run_dir, inputs):
        from pipeline.tasks.lm import predict

        return predict.predict_lines(config, run_dir, inputs)

    def sample_inputs(self, config):
        from pipeline.tasks.lm.server import SAMPLE_PROMPTS

        return [prompt for prompt in SAMPLE_PROMPTS if prompt.strip()]

    def serving_request(self, config):
        return {"prompt": ["The ", "def "], "length": 8, "temperature": 0.5}

    def inference_batch(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.lm import server

        return server.inference_batch(config, run_dir)

    def search_space(self, hp, config):
        from pipeline.tasks.lm import search

        return search.search_space(hp, config)


TASK = LMTask()
