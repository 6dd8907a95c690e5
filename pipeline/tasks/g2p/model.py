"""The G2P task's model, loss, callbacks and training recipe."""

import keras
import numpy as np

from pipeline.core.errors import UsageError
from pipeline.core.task import Recipe
from pipeline.tasks.g2p import data as g2p_data
from pipeline.tasks.g2p import inputs


def check_config(config):
    """Raises a UsageError naming the flags for a `distill.teacher` that is
    no fitting G2P export and for `rerank` settings that contradict the
    decoding (`pipeline.core.cli.resolve` calls it before any
    work; the single values are the schema's limits)."""
    if config["rerank"]["runs"] and config["decode"]["beam_width"] < 2:
        raise UsageError("--set rerank.runs: reranking needs a beam; set "
                         "decode.beam_width to 2 or more")
    if config["rerank"]["propose"] and not config["rerank"]["runs"]:
        raise UsageError("--set rerank.propose=true: name the runs that propose in "
                         "--set rerank.runs")
    if config["rerank"]["learned"] and config["decode"]["beam_width"] < 2:
        raise UsageError("--set rerank.learned=true: reranking needs a beam; set "
                         "decode.beam_width to 2 or more")
    if config["rerank"]["learned"] and config["decode"]["xla"]:
        raise UsageError("--set rerank.learned=true: the learned reranker's hash tables do "
                         "not compile under XLA; drop decode.xla (or the export's fixed length)")
    if config["rerank"]["learned"] and config["decode"]["xla_batch"]:
        raise UsageError("--set rerank.learned=true: the learned reranker's hash tables do "
                         "not compile under XLA; set decode.xla_batch=0")
    if config["distill"]["teacher"]:
        from pipeline.tasks.g2p.distill import check_teacher

        check_teacher(config["distill"]["teacher"], config)


def build_model(config, vocabularies):
    """The `Seq2Seq` model the configuration describes."""
    from models.seq2seq import Seq2Seq

    m = dict(config["model"])
    m["window_size"] = m["window_size"] or None
    m["attention_units"] = m["attention_units"] or None
    m["decoder_units"] = m["decoder_units"] or None  # 0: the encoder output width
    # ids 0 and 1 are padding and out-of-vocabulary (pipeline.data.vocab)
    model = Seq2Seq(len(vocabularies["graphemes"]) + 2, len(vocabularies["phonemes"]) + 2,
                    **m, scheduled_sampling=config["train"]["scheduled_sampling"] > 0,
                    name="g2p")
    model({"graphemes": np.ones((1, 2), "int32"), "decoder_inputs": np.ones((1, 2), "int32")})
    return model


def loss(label_smoothing=0.0, soft_weight=None):
    """Cross-entropy of the next phoneme, label-smoothed by `label_smoothing`
    (`models.losses`), mixed with soft targets' with a `soft_weight`
    (word-level distillation); padding (id 0) is ignored."""
    if soft_weight is not None:
        from models.losses import DistillationCrossentropy

        return DistillationCrossentropy(soft_weight, label_smoothing, ignore_class=0)
    if label_smoothing:
        from models.losses import SmoothedSparseCrossentropy

        return SmoothedSparseCrossentropy(label_smoothing, ignore_class=0)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)


def training_batches(config, vocabularies, entries):
    """`(train, validation)` batches of the `data.splits` entries."""
    d = config["data"]
    train_batches = inputs.batches(inputs.as_dataset(entries["train"]), vocabularies,
                                   batch_size=d["batch_size"], training=True, seed=d["seed"])
    valid_batches = inputs.batches(inputs.as_dataset(entries["validation"]), vocabularies,
                                   batch_size=d["batch_size"])
    return train_batches, valid_batches


def total_steps(config, entries):
    """Optimizer steps of the whole run, for the cosine schedule."""
    pairs = sum(len(prons) for prons in entries["train"].values())
    # Bucketing leaves at most one short batch per bucket each epoch.
    steps = -(-pairs // config["data"]["batch_size"]) + len(inputs.BOUNDARIES) + 1
    return steps * config["train"]["epochs"]


def training_callbacks(config):
    """The task's own callbacks: scheduled sampling when it is on."""
    t = config["train"]
    if t.get("scheduled_sampling", 0) > 0:
        return [ScheduledSampling(t["scheduled_sampling"], t["epochs"])]
    return []


class ScheduledSampling(keras.callbacks.Callback):
    """Raises the decoder's `sampling_probability` linearly from 0 in the
    first epoch to `probability` in the last (the linear schedule of Bengio
    et al. 2015, section 2.4, written for the probability of sampling)."""

    def __init__(self, probability, epochs):
        super().__init__()
        self.probability = probability
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        value = self.probability * epoch / max(1, self.epochs - 1)
        self.model.decoder.sampling_probability.assign(value)


def monitor(config):
    """`train.monitor`, with `auto` resolved: a model trained on a teacher's
    answers follows the validation WER, since its loss against the
    dictionary's pronunciations measures another target; other models
    follow the validation loss, which costs no decoding."""
    chosen = config["train"]["monitor"]
    if chosen == "auto":
        return "val_wer" if config["distill"]["teacher"] else "val_loss"
    return chosen


def validation_metrics(config, vocabularies, references):
    """`model -> {"val_wer", "val_per"}` (stress kept) of the validation
    words `references`, decoded with the configured decoding (traced once
    per model, not once per epoch): the search's objective."""
    from pipeline.tasks.g2p import decoding, scoring
    from pipeline.tasks.g2p.server import G2PServer

    traced = [None, None]  # the model, its G2PServer

    def compute(model):
        if traced[0] is not model:
            traced[:] = [model, G2PServer(model, vocabularies, **config["decode"],
                                          reverse=config["g2p"]["direction"] == "r2l")]
        predictions = decoding.predict(traced[1], sorted(references))
        scores = scoring.score_all(predictions, references)
        return {"val_wer": scores["wer"], "val_per": scores["per"]}

    return compute


def recipe(config, run_dir, data=None, data_dir=None):
    """The training `Recipe` on the prepared data of `run_dir`: the
    vocabularies prepare fitted, the chosen words (the training words with
    the teacher's answers with `distill.teacher`, `distill.py`; their
    pronunciations reversed with `g2p.direction=r2l`), the `Seq2Seq`, its
    loss (with the soft targets of `distill.soft_runs`) and callbacks, and
    the validation WER that a search optimises."""
    check_config(config)
    g2p_data.check_prepared(config, run_dir)
    vocabularies = g2p_data.load_vocabularies(run_dir)
    if config["distill"]["extra_words"] and not config["distill"]["teacher"]:
        raise UsageError("--set distill.extra_words: the extra words are labelled by a "
                         "teacher; name its export in --set distill.teacher")
    task_data = g2p_data.load_data(config, data, data_dir)
    chosen = g2p_data.splits(task_data, config)
    if config["distill"]["teacher"]:
        from pipeline.tasks.g2p.distill import distilled, extra_words

        known = {word for split in task_data.splits.values() for word in split}
        extra = extra_words(config["distill"]["extra_words"], known, vocabularies["graphemes"],
                            config["data"]["max_word_length"])
        chosen["train"] = distilled(config, run_dir, chosen["train"],
                                    vocabularies["phonemes"], extra)
    entries = chosen
    if config["g2p"]["direction"] == "r2l":
        entries = {name: inputs.reversed_phonemes(split) for name, split in chosen.items()}
    train_batches, valid_batches = training_batches(config, vocabularies, entries)
    soft_weight = None
    if config["distill"]["soft_runs"]:
        from pipeline.tasks.g2p.distill import with_soft_targets

        train_batches = with_soft_targets(config, run_dir, vocabularies, train_batches)
        soft_weight = config["distill"]["soft_weight"]
    return Recipe(
        build_model=lambda: build_model(config, vocabularies),
        train_batches=train_batches, valid_batches=valid_batches,
        loss=loss(config["train"]["label_smoothing"], soft_weight), monitor=monitor(config),
        callbacks=training_callbacks(config),
        total_steps=total_steps(config, entries),
        validation_metrics=validation_metrics(config, vocabularies, chosen["validation"]))
