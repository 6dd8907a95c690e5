"""`G2PTask`: the grapheme-to-phoneme task through the `Task` contract."""

import keras

from pipeline.core.task import Task
from pipeline.tasks.g2p import config


class G2PTask(Task):
    """Words to ARPAbet pronunciations with an attentive `Seq2Seq`, scored
    by WER and PER with stress kept and removed; served as one graph
    (`server.G2PServer`)."""

    name = "g2p"
    description = "grapheme-to-phoneme: CMUdict words to ARPAbet pronunciations"
    schema = config.SCHEMA
    presets = config.PRESETS
    variants = config.VARIANTS
    compare_metrics = config.COMPARE_METRICS
    objective = ("val_wer", "min")

    def check_config(self, config):
        from pipeline.tasks.g2p import model

        model.check_config(config)

    def load_data(self, config, data=None, data_dir=None):
        from pipeline.tasks.g2p import data as g2p_data

        return g2p_data.load_data(config, data, data_dir)

    def prepare_data(self, task_data, config, directory):
        from pipeline.tasks.g2p import data as g2p_data

        return g2p_data.prepare_data(task_data, config, directory)

    def describe_data(self, task_data, count=3):
        from pipeline.tasks.g2p import data as g2p_data

        return g2p_data.describe(task_data, count)

    def memory_estimate(self, config):
        """A recurrent encoder and decoder over words and pronunciations of
        `data.max_word_length`, into about 100 graphemes or phonemes."""
        from pipeline.core import memory

        directions = 2 if config["model"]["bidirectional"] else 1
        return memory.recurrent(config, steps=2 * config["data"]["max_word_length"],
                                vocabulary=100, directions=directions)

    def recipe(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.g2p import model

        return model.recipe(config, run_dir, data, data_dir)

    def train(self, config, run_dir, data=None, data_dir=None):
        """The generic train stage, with `train.seed` set once the data is
        prepared (the seed of the weights' initialisation and of dropout)."""
        from pipeline.core import rundir

        rundir.ensure_prepared(self, config, run_dir, data, data_dir)
        keras.utils.set_random_seed(config["train"]["seed"])
        return super().train(config, run_dir, data, data_dir)

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        from pipeline.tasks.g2p import evaluation

        return evaluation.evaluate(config, run_dir, data, data_dir, split)

    def export(self, config, run_dir, directory):
        from pipeline.tasks.g2p import export

        return export.export(config, run_dir, directory)

    def show_export(self, path, config, run_dir):
        from pipeline.tasks.g2p import export

        return export.show_export(path, config, run_dir)

    def predict_lines(self, config, run_dir, inputs):
        from pipeline.tasks.g2p import predict

        return predict.predict_lines(config, run_dir, inputs)

    def sample_inputs(self, config):
        from pipeline.tasks.g2p.export import SAMPLE_WORDS

        return SAMPLE_WORDS[:3]

    def serving_request(self, config):
        from pipeline.tasks.g2p.export import SAMPLE_WORDS

        return {"words": SAMPLE_WORDS[:3]}

    def inference_batch(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.g2p import evaluation

        return evaluation.inference_batch(config, run_dir, data, data_dir)

    def search_space(self, hp, config):
        from pipeline.tasks.g2p import search

        return search.search_space(hp, config)


TASK = G2PTask()
