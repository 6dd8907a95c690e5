"""`ClassifyTask`: the classify task through the `Task` contract."""

from pipeline.core.task import Task
from pipeline.tasks.classify import config


class ClassifyTask(Task):
    """Many-to-one text classification against naive Bayes and the majority
    class; the export serves texts in, labels and probabilities out."""

    name = "classify"
    description = "text classification: which language a word is (or your labelled texts)"
    schema = config.SCHEMA
    presets = config.PRESETS
    variants = config.VARIANTS
    compare_metrics = config.COMPARE_METRICS
    objective = ("val_accuracy", "max")

    def load_data(self, config, data=None, data_dir=None):
        from pipeline.tasks.classify import data as classify_data

        return classify_data.load(data, data_dir)

    def prepare_data(self, task_data, config, directory):
        from pipeline.tasks.classify import data as classify_data

        return classify_data.prepare_data(task_data, config, directory)

    def describe_data(self, task_data, count=3):
        from pipeline.tasks.classify import data as classify_data

        return classify_data.describe(task_data, count)

    def memory_estimate(self, config):
        """The encoder over `data.max_length` tokens (256 characters or
        20,000 words), one label read out a text."""
        from pipeline.core import memory

        vocabulary = 256 if config["classify"]["unit"] == "char" else 20_000
        directions = 2 if config["model"]["bidirectional"] else 1
        return memory.recurrent(config, steps=config["data"]["max_length"],
                                vocabulary=vocabulary, outputs=0, directions=directions)

    def recipe(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.classify import model

        return model.recipe(config, run_dir, data, data_dir)

    def evaluate(self, config, run_dir, data=None, data_dir=None, split="test"):
        from pipeline.tasks.classify import evaluation

        return evaluation.evaluate(config, run_dir, data, data_dir, split)

    def export(self, config, run_dir, directory):
        from pipeline.tasks.classify import server

        return server.export(config, run_dir, directory)

    def show_export(self, path, config, run_dir):
        from pipeline.tasks.classify import server

        return server.show_export(path, config, run_dir)

    def predict_lines(self, config, run_dir, inputs):
        from pipeline.tasks.classify import predict

        return predict.predict_lines(config, run_dir, inputs)

    def sample_inputs(self, config):
        from pipeline.tasks.classify.server import SAMPLE_TEXTS

        return SAMPLE_TEXTS[:3]

    def serving_request(self, config):
        from pipeline.tasks.classify.server import SAMPLE_TEXTS

        return {"text": SAMPLE_TEXTS[:3]}

    def inference_batch(self, config, run_dir, data=None, data_dir=None):
        from pipeline.tasks.classify import evaluation

        return evaluation.inference_batch(config, run_dir, data, data_dir)

    def search_space(self, hp, config):
        from pipeline.tasks.classify import search

        return search.search_space(hp, config)


TASK = ClassifyTask()
