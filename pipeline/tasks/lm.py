"""The LM task: a character language model next to an n-gram baseline.

Training reads the text as contiguous streams (`pipeline.inputs.lm`) with
teacher forcing (seed 002 slide 19) and truncated backpropagation through
time: the model carries its state from one batch to the next and
backpropagates through one window only (seed 003 slides 21-22).
Evaluation reports bits per character on the test split for the recurrent
model and for an order-5 character n-gram model with Kneser-Ney smoothing
(`models.classical.ngram`, the Markov models of seed 000 slides 7-8), fitted on the
same training text in the same run. Generation samples one character at a
time with temperature and top-k from stateless seeds (`models.lm.Sampler`).

The conditional demo (seed 000 slide 23, `pipeline.conditional_lm`) trains a
second, small model on the words of the language-identification data with
the one-hot language as a fixed vector, given as the initial state, as an
extra input at every step, or both (`conditional.mode`);
`python -m pipeline.generate --language fr` samples words of one language.
"""

import json
import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from models.classical.ngram import METHODS
from pipeline import conditional_lm
from pipeline.core import atomic, evaluation, registry, rundir, training
from pipeline.core import ensemble as ensemble_lib
from pipeline.core import export as export_lib
from pipeline.core.errors import UsageError
from pipeline.core.schema import at_least, fraction, one_of
from pipeline.data import builders as data_lib
from pipeline.data import vocab as vocab_lib
from pipeline.inputs import lm as lm_inputs

DEFAULTS = {
    "data": {"batch_size": 32, "sequence_length": 100, "max_train_chars": 0,
             "max_eval_chars": 0},
    "model": {"embedding_dim": 64, "cell": "lstm", "units": 512, "layers": 1, "dropout": 0.2,
              "recurrent_dropout": 0.0},
    "train": {"epochs": 40, "learning_rate": 3e-3, "clipnorm": 1.0, "patience": 4, "seed": 0,
              "jit_compile": False, "strategy": "default", "schedule": "constant",
              "reduce_lr_patience": 1, "ema": 0.0},
    "ngram": {"order": 5, "method": "kneser_ney"},
    "sample": {"seed": 0, "top_k": 0, "temperature": 0.8, "length": 200, "max_length": 2000,
               "max_prompt_length": 1000},
    # dynamic_*: dynamic evaluation (`models.lm.dynamic_log2_probabilities`),
    # reported beside the static scores when the learning rate is above 0.
    # 1.0 with no decay was chosen on the validation split of the full
    # preset (see the README); segments of 50 characters.
    "evaluate": {"window": 1024, "dynamic_learning_rate": 0.0, "dynamic_decay": 0.0,
                 "dynamic_segment": 50},
    # runs: other runs mixed with this one (pipeline.core.ensemble).
    "ensemble": dict(ensemble_lib.DEFAULTS),
    "conditional": {"enabled": True, "data": "", "mode": "both", "embedding_dim": 32,
                    "units": 256, "layers": 1, "dropout": 0.1, "batch_size": 128, "epochs": 10,
                    "max_word_length": 24, "max_train_words": 0, "max_eval_words": 0,
                    "samples": 8, "temperature": 0.8, "seed": 0},
}

#: Limits of the task's own keys, beside `pipeline.core.schema.COMMON`.
LIMITS = {
    "data.sequence_length": at_least(1),
    "data.max_train_chars": at_least(0), "data.max_eval_chars": at_least(0),  # 0: all
    "train.reduce_lr_patience": at_least(0),
    "ngram.order": at_least(1), "ngram.method": one_of(*METHODS),
    "sample.top_k": at_least(0),  # 0: the whole vocabulary
    "sample.temperature": at_least(0),  # 0: greedy
    "sample.length": at_least(0), "sample.max_length": at_least(1),
    "sample.max_prompt_length": at_least(1),
    "evaluate.window": at_least(1),
    "evaluate.dynamic_learning_rate": at_least(0),  # 0: off
    "evaluate.dynamic_decay": fraction(closed=True), "evaluate.dynamic_segment": at_least(1),
    "conditional.mode": one_of("initial", "input", "both"),
    **{f"conditional.{key}": at_least(1)
       for key in ("embedding_dim", "units", "layers", "batch_size", "epochs",
                   "max_word_length", "samples")},
    "conditional.max_train_words": at_least(0), "conditional.max_eval_words": at_least(0),
    "conditional.dropout": fraction(), "conditional.temperature": at_least(0),
}

PRESETS = {
    "smoke": {"data": {"batch_size": 8, "sequence_length": 32, "max_train_chars": 20000,
                       "max_eval_chars": 2000},
              "model": {"embedding_dim": 8, "units": 16},
              "train": {"epochs": 1},
              "sample": {"length": 40},
              "conditional": {"units": 16, "embedding_dim": 8, "epochs": 1, "batch_size": 32,
                              "max_train_words": 400, "max_eval_words": 100, "samples": 2}},
    "quick": {"data": {"sequence_length": 64},
              "model": {"units": 256, "dropout": 0.1},
              "train": {"epochs": 3, "learning_rate": 4e-3},
              "conditional": {"units": 128, "epochs": 3, "max_train_words": 20000,
                              "max_eval_words": 1000}},
    # full: DEFAULTS with dropout 0.4, recurrent dropout 0.25 and batches of
    # 16 streams, chosen on validation bits per character (`pipeline.evaluate
    # --split validation`, one run each): 1.754 with dropout 0.2, 1.725 with
    # 0.4, 1.698 with recurrent dropout 0.25 as well, 1.690 with 0.4 in 1.6
    # times the training time (under the 0.01-bit rule). Two layers: 1.725,
    # in 2.1 times the time. Batches of 16 instead of 32: 1.679, in 1.8 times
    # the time (see the README).
    "full": {"data": {"batch_size": 16},
             "model": {"dropout": 0.4, "recurrent_dropout": 0.25}},
}

#: The models `pipeline.compare --task lm` trains: the same network with
#: each cell (the n-gram baseline is measured in every run).
VARIANTS = {
    "lstm": {"model": {"cell": "lstm"}},
    "gru": {"model": {"cell": "gru"}},
    "elman": {"model": {"cell": "elman"}},
}

#: The metrics `pipeline.compare --task lm` tabulates, the first charted.
COMPARE_METRICS = ("bpc", "bpc_ratio", "ngram_bpc")

#: What generation reads before the prompt: the text starts a new topic.
START = "\n\n"
SAMPLE_PROMPTS = ["", "The ", "def ", "class C:\n    "]
LN2 = math.log(2.0)


# ------------------------------------------------------------------ data
def load_vocabulary(run_dir):
    return vocab_lib.load_vocabulary(os.path.join(run_dir, "data", "vocab_chars.json"))


def texts(task_data, config):
    """The train, validation and test texts, cut to the configured sizes
    (0 = whole split; a cut keeps the start of the split)."""
    d = config["data"]
    cut = {"train": d["max_train_chars"], "validation": d["max_eval_chars"],
           "test": d["max_eval_chars"]}
    return {split: task_data.splits[split][: cut[split] or None] for split in cut}


def batches(ids, config, split):
    """Contiguous `[B, L]` batches of an id stream, or a UsageError naming
    the flags when the split is too short for one batch."""
    d = config["data"]
    try:
        return lm_inputs.contiguous_batches(ids, batch_size=d["batch_size"],
                                            sequence_length=d["sequence_length"])
    except ValueError as error:
        raise UsageError(f"--set data.batch_size={d['batch_size']} / data.sequence_length="
                         f"{d['sequence_length']}: the {split} split is too short ({error}); "
                         "lower them or give more text") from None


# ----------------------------------------------------------------- model
def build_model(config, vocabulary_size, stateful=True):
    """The `CharLanguageModel` the configuration describes. Stateful models
    carry `data.batch_size / replicas` streams per replica (built inside
    the `tf.distribute` strategy of the run)."""
    from models.lm import CharLanguageModel

    m = config["model"]
    streams = None
    if stateful:
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        batch_size = config["data"]["batch_size"]
        if batch_size % replicas:
            raise UsageError(f"--set data.batch_size={batch_size}: must be a multiple of the "
                             f"{replicas} replicas of train.strategy")
        streams = batch_size // replicas
    model = CharLanguageModel(vocabulary_size, embedding_dim=m["embedding_dim"], cell=m["cell"],
                              units=m["units"], layers=m["layers"], dropout=m["dropout"],
                              recurrent_dropout=m["recurrent_dropout"], stateful=stateful,
                              streams=streams, name="char_lm")
    model.build((None, None))
    return model


def bits_per_character(y_true, y_pred):
    """Cross-entropy in bits: nats / ln 2 (the metric of DESIGN section 3)."""
    nats = keras.losses.sparse_categorical_crossentropy(y_true, tf.cast(y_pred, tf.float32),
                                                        from_logits=True)
    return nats / LN2


class ResetCarriedState(keras.callbacks.Callback):
    """Zeroes the carried state at the start of every epoch and of every
    validation pass: each reads its text from the beginning."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_state()

    def on_test_begin(self, logs=None):
        self.model.reset_state()


def train(config, run_dir, data=None, data_dir=None):
    """Trains the character model with truncated BPTT, then (with
    `conditional.enabled`) the conditional word model; saves
    `<run_dir>/model.keras` and `<run_dir>/conditional/model.keras`.

    With `train.schedule=constant` the learning rate halves after
    `train.reduce_lr_patience` epochs without a better validation loss (0:
    never); with `cosine` it decays to zero over `train.epochs` (measured
    worse at the quick preset: 2.17 against 1.90 bits per character, the
    decay starting while the model still learns fast). The wall time of each training goes to
    `<run_dir>/train_seconds.json` for the metrics.

    Returns the Keras history dict of the character model.
    """
    rundir.ensure_prepared(registry.get(config["task"]), config, run_dir, data, data_dir)
    vocabulary = load_vocabulary(run_dir)
    split_texts = texts(data_lib.load("lm", data=data, data_dir=data_dir), config)
    keras.utils.set_random_seed(config["train"]["seed"])
    train_ids = lm_inputs.encode_text(split_texts["train"], vocabulary)
    valid_ids = lm_inputs.encode_text(split_texts["validation"], vocabulary)
    train_batches = batches(train_ids, config, "train")
    valid_batches = batches(valid_ids, config, "validation")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    t = config["train"]
    if t["schedule"] not in ("constant", "cosine"):
        raise UsageError(f"--set train.schedule={t['schedule']}: use constant or cosine")
    callbacks = [ResetCarriedState()]
    total_steps = None
    if t["schedule"] == "cosine":
        total_steps = t["epochs"] * int(train_batches.cardinality())
    elif t["reduce_lr_patience"]:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            factor=0.5, patience=t["reduce_lr_patience"], min_lr=1e-5))
    start = time.perf_counter()
    history = training.fit(lambda: build_model(config, len(vocabulary) + 2), train_batches,
                           valid_batches, config, run_dir, loss=loss,
                           metrics=[bits_per_character], extra_callbacks=callbacks,
                           total_steps=total_steps)
    seconds = {"train_seconds": time.perf_counter() - start}
    if config["conditional"]["enabled"]:
        start = time.perf_counter()
        conditional_lm.train(config, run_dir, data_dir)
        seconds["conditional_train_seconds"] = time.perf_counter() - start
    atomic.write_json(os.path.join(run_dir, "train_seconds.json"), seconds)
    return history


# ------------------------------------------------------------ generation
class LMServer(tf.Module):
    """Prompts in, sampled continuations out: preprocessing, model, sampling
    and decoding in one graph, what the export serves (DESIGN section 5).

    The model reads `START` (a blank line: a new topic) then the prompt, of
    which it keeps the last `max_prompt_length` characters; characters
    outside the training vocabulary map to the out-of-vocabulary id, so any
    UTF-8 string (the empty one too) is a valid prompt; invalid UTF-8 bytes
    read as U+FFFD, also out of vocabulary. It then draws `length`
    characters (at most `max_length`), never padding or the
    out-of-vocabulary id, at `temperature` (0 or less: greedy) from the
    `top_k` most probable (0: all), with stateless random ops: the same
    request and seed give the same text.

    Args:
        model: a trained `CharLanguageModel` (unconditional), or a
            `models.lm.LanguageModelMixture` of them.
        vocabulary: its character list (`pipeline.data.vocab`).
        top_k, max_length, max_prompt_length: as above.
    """

    def __init__(self, model, vocabulary, top_k=0, max_length=2000, max_prompt_length=1000):
        super().__init__()
        from models.lm import Sampler

        self.model = model
        self.max_length = max_length
        self.max_prompt_length = max_prompt_length
        self.chars = vocab_lib.lookup(vocabulary)
        self.char_names = vocab_lib.lookup(vocabulary, invert=True)
        self.chars(tf.constant([""]))  # build the lookups (export tracks built layers)
        self.char_names(tf.constant([0], tf.int64))
        self.sampler = Sampler(top_k=top_k, forbidden=(0, 1))

    def encode(self, prompts):
        """`[B]` strings -> right-padded ids `[B, S]` and lengths `[B]`."""
        chars = tf.strings.unicode_split(tf.strings.join([START, prompts]), "UTF-8",
                                        errors="replace")
        chars = chars[:, -self.max_prompt_length:]
        ids = tf.cast(self.chars(chars).to_tensor(), tf.int32)  # [B, S]
        ids = tf.pad(ids, [[0, 0], [0, 1]])  # S >= 1 for an empty batch
        return ids, tf.cast(chars.row_lengths(), tf.int32)

    def __call__(self, prompts, length, temperature, seed):
        """Continuations `[B]` (the sampled characters, prompt excluded)."""
        ids, lengths = self.encode(prompts)
        mask = tf.sequence_mask(lengths, tf.shape(ids)[1])  # [B, S]
        logits, states = self.model.forward(ids, mask=mask)  # [B, S, V]
        last = tf.gather(logits, tf.maximum(lengths - 1, 0), batch_dims=1)  # [B, V]
        length = tf.clip_by_value(tf.cast(length, tf.int32), 0, self.max_length)
        drawn = self.sampler(self.model.step, states, last, length, temperature, seed)
        return tf.strings.reduce_join(self.char_names(tf.cast(drawn, tf.int64)), axis=1)


def serving_endpoints(server, seed):
    """`serving_default` (`prompt`, `length`, `temperature` -> `text`, the
    configured seed) and `generate_with_seed` (the same and a `seed`)."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="prompt"),
                                  tf.TensorSpec([], tf.int32, name="length"),
                                  tf.TensorSpec([], tf.float32, name="temperature")])
    def serve(prompt, length, temperature):
        return {"text": server(prompt, length, temperature, tf.constant(seed, tf.int32))}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="prompt"),
                                  tf.TensorSpec([], tf.int32, name="length"),
                                  tf.TensorSpec([], tf.float32, name="temperature"),
                                  tf.TensorSpec([], tf.int32, name="seed")])
    def serve_seeded(prompt, length, temperature, seed):
        return {"text": server(prompt, length, temperature, seed)}

    return serve, serve_seeded


def load_trained(run_dir):
    """The trained character model of a run, and its vocabulary."""
    import models.lm  # noqa: F401  (registers the model)

    return training.load_trained(run_dir), load_vocabulary(run_dir)


def load_for_use(config, run_dir):
    """`(model, members, vocabulary)`: the run's trained model, or with
    `ensemble.runs` the mixture of it and those runs' models
    (`models.lm.LanguageModelMixture`); `members` lists the Keras models."""
    from models.lm import LanguageModelMixture

    members, vocabulary = ensemble_lib.load(config, run_dir, load_trained)
    model = members[0] if len(members) == 1 else LanguageModelMixture(members)
    return model, members, vocabulary


def make_server(config, run_dir):
    """The `LMServer` of a trained run (and `ensemble.runs`), configured by
    `config["sample"]`."""
    model, _, vocabulary = load_for_use(config, run_dir)
    return sampling_server(config, model, vocabulary)


def sampling_server(config, model, vocabulary):
    s = config["sample"]
    return LMServer(model, vocabulary, top_k=s["top_k"], max_length=s["max_length"],
                    max_prompt_length=s["max_prompt_length"])


def generate(server, prompts, length, temperature, seed):
    """Continuations of a list of prompts, as Python strings."""
    out = server(tf.constant(prompts, tf.string), length, temperature, seed)
    return [t.decode("utf-8") for t in out.numpy()]


def inference_batch(config, run_dir, data=None, data_dir=None, prompts=4):
    """`(infer, count)` for `pipeline.compare`: `infer()` runs the compiled
    serving function on `prompts` prompts for `sample.length` characters, so
    `count` is the number of characters generated."""
    s = config["sample"]
    serve, _ = serving_endpoints(make_server(config, run_dir), s["seed"])
    request = (tf.constant(SAMPLE_PROMPTS[:1] * prompts), tf.constant(s["length"]),
               tf.constant(s["temperature"], tf.float32))
    return (lambda: serve(*request)), prompts * s["length"]


# ------------------------------------------------------------ evaluation
def check_config(config, length_flag=None):
    """Raises a UsageError naming the flags when `sample.length` (or the
    flag `length_flag`, e.g. "--length 5000", that overrides it) is above
    `sample.max_length`, where the serving graph stops (`pipeline.core.cli.resolve`
    calls it before any work; the single values are `LIMITS`)."""
    s = config["sample"]
    if s["length"] > s["max_length"]:
        flag = length_flag or f"--set sample.length={s['length']}"
        raise UsageError(f"{flag}: expected at most sample.max_length={s['max_length']}, the "
                         f"most the model generates; raise it with --set "
                         f"sample.max_length={s['length']}")


def dynamic_bits(config, members, train_ids, scored_ids, vocabulary_size):
    """Bits per character of the scored ids under dynamic evaluation: the
    models' (each adapting on its own, then mixed as in
    `models.lm.LanguageModelMixture`), and the refitted n-gram's
    (`models.classical.ngram.refitted_log2_probabilities`), with their seconds."""
    from models.classical.ngram import refitted_log2_probabilities
    from models.lm import dynamic_log2_probabilities

    e = config["evaluate"]
    start = time.perf_counter()
    log2_p = np.stack([dynamic_log2_probabilities(
        m, scored_ids, e["dynamic_learning_rate"], decay=e["dynamic_decay"],
        segment=e["dynamic_segment"]) for m in members])  # [M, N-1]
    model_bits = math.log2(len(members)) - np.logaddexp2.reduce(log2_p, axis=0)
    model_seconds = time.perf_counter() - start
    start = time.perf_counter()
    n = config["ngram"]
    ngram_bits = -refitted_log2_probabilities(train_ids, scored_ids, e["dynamic_segment"],
                                              vocabulary_size=vocabulary_size,
                                              order=n["order"], method=n["method"])
    return model_bits, ngram_bits, model_seconds, time.perf_counter() - start


def fit_ngram(config, train_ids, vocabulary_size):
    from models.classical.ngram import CharNGram

    n = config["ngram"]
    try:
        return CharNGram(vocabulary_size, order=n["order"], method=n["method"]).fit(train_ids)
    except ValueError as error:
        raise UsageError(f"--set ngram.order={n['order']} / ngram.method={n['method']}: "
                         f"{error}") from None


def evaluate(config, run_dir, data=None, data_dir=None, split="test"):
    """Bits per character on the test split (or `split`) of the model and
    of the n-gram baseline fitted now on the same training text; samples;
    the conditional model's scores (test split only). Writes `metrics.json`
    and `plots/bits_per_character.png` (`pipeline.core.evaluation.output_dir`).
    """
    from models.lm import log2_probabilities

    model, members, vocabulary = load_for_use(config, run_dir)
    split_texts = texts(data_lib.load("lm", data=data, data_dir=data_dir), config)
    train_ids = lm_inputs.encode_text(split_texts["train"], vocabulary)
    scored_ids = lm_inputs.encode_text(split_texts[split], vocabulary)
    if len(scored_ids) < 2:
        raise UsageError(f"--set data.max_eval_chars: the {split} split needs 2 characters "
                         "or more")
    start = time.perf_counter()
    model_bits = -log2_probabilities(model, scored_ids, config["evaluate"]["window"])
    model_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ngram = fit_ngram(config, train_ids, len(vocabulary) + 2)
    ngram_fit_seconds = time.perf_counter() - start
    ngram_bits = -ngram.log2_probabilities(scored_ids)
    metrics = {
        "bpc": float(model_bits.mean()),
        "ngram_bpc": float(ngram_bits.mean()),
        "bpc_ratio": float(model_bits.mean() / ngram_bits.mean()),
        "test_characters": int(len(model_bits)),
        "train_characters": int(len(train_ids)),
        "model_score_seconds": model_seconds,
        "ngram_fit_seconds": ngram_fit_seconds,
        "ngram": dict(config["ngram"]), "split": split,
        "ensemble": dict(config["ensemble"]),
    }
    n = config["ngram"]
    curves = [(model_bits, config["model"]["cell"]),
              (ngram_bits, f"{n['order']}-gram {n['method']}")]
    if config["evaluate"]["dynamic_learning_rate"] > 0:
        dynamic, refitted, dynamic_seconds, refit_seconds = dynamic_bits(
            config, members, train_ids, scored_ids, len(vocabulary) + 2)
        metrics.update({
            "bpc_dynamic": float(dynamic.mean()), "ngram_bpc_refitted": float(refitted.mean()),
            "bpc_dynamic_ratio": float(dynamic.mean() / refitted.mean()),
            "dynamic_score_seconds": dynamic_seconds, "ngram_refit_seconds": refit_seconds})
        curves += [(dynamic, f"{config['model']['cell']}, dynamic evaluation"),
                   (refitted, f"{n['order']}-gram, refitted as it reads")]
    seconds_path = os.path.join(run_dir, "train_seconds.json")
    if os.path.exists(seconds_path):
        with open(seconds_path, encoding="utf-8") as handle:
            metrics.update(json.load(handle))
    s = config["sample"]
    server = sampling_server(config, model, vocabulary)
    metrics["samples"] = dict(zip(SAMPLE_PROMPTS, generate(
        server, SAMPLE_PROMPTS, s["length"], s["temperature"], s["seed"]), strict=True))
    if config["conditional"]["enabled"] and split == "test":
        metrics.update(conditional_lm.evaluate(config, run_dir, data_dir))
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plot_bits(curves, os.path.join(evaluation.plots_dir(run_dir, split), "bits_per_character.png"))
    return metrics


def plot_bits(curves, path):
    """Bits per character along the scored text, a running mean over 500
    characters, for each `(bits, name)` of `curves` (the model, the n-gram,
    and with dynamic evaluation their adapting versions)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = max(1, min(500, len(curves[0][0]) // 10))
    kernel = np.ones(width) / width
    fig, ax = plt.subplots(figsize=(8, 3 + 0.25 * len(curves)))
    for bits, name in curves:
        label = f"{name} (mean {bits.mean():.3f})"
        ax.plot(np.convolve(bits, kernel, mode="valid"), label=label, linewidth=0.8)
    ax.set_xlabel("character of the scored split")
    ax.set_ylabel(f"bits per character ({width}-char mean)")
    # below the axes: the curves fill the plot
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    fig.tight_layout()
    return atomic.save_figure(fig, path)


# ---------------------------------------------------------------- export
def export(config, run_dir, directory):
    """Writes the SavedModel of a trained run into `directory`; returns the
    metadata dict."""
    model, members, vocabulary = load_for_use(config, run_dir)
    server = sampling_server(config, model, vocabulary)
    s = config["sample"]
    serve, serve_seeded = serving_endpoints(server, s["seed"])
    export_lib.write_archive(directory, [*members, server.chars, server.char_names],
                             {"serving_default": serve, "generate_with_seed": serve_seeded})
    return {"model": members[0].get_config(), "sample": dict(s),
            "ensemble": {**config["ensemble"], "models": [m.get_config() for m in members[1:]]},
            "inputs": {"prompt": "string [B]", "length": "int32 []",
                       "temperature": "float32 [] (0 or less: greedy)"},
            "outputs": {"text": "string [B], the sampled continuation (prompt excluded)"},
            "signatures": {"generate_with_seed": "the inputs and a seed int32 []"}}


def show_export(path, config, run_dir):
    """Prints the export's continuations of `SAMPLE_PROMPTS`, read back from
    the SavedModel as a TF Serving client gets them."""
    serve = tf.saved_model.load(path).signatures["serving_default"]
    s = config["sample"]
    answers = serve(prompt=tf.constant(SAMPLE_PROMPTS), length=tf.constant(s["length"]),
                    temperature=tf.constant(s["temperature"]))
    print(f"answers of the export (length {s['length']}, temperature {s['temperature']}):")
    for prompt, text in zip(SAMPLE_PROMPTS, answers["text"].numpy(), strict=True):
        print(f"  {prompt!r:<18} -> {(prompt + text.decode('utf-8'))!r}")


def escape(text):
    """One printable line: backslash, tab and newline escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def predict_lines(config, run_dir, prompts):
    """`prompt<TAB>continuation` lines (newlines and tabs escaped), with the
    configured `sample.length`, `sample.temperature` and `sample.seed`."""
    s = config["sample"]
    texts_out = generate(make_server(config, run_dir), list(prompts), s["length"],
                         s["temperature"], s["seed"])
    return [f"{escape(p)}\t{escape(t)}" for p, t in zip(prompts, texts_out, strict=True)]


# ------------------------------------------------------------------ prepare
SIZE_UNIT = "characters"


def load_data(config, data=None, data_dir=None):
    return data_lib.load("lm", data=data, data_dir=data_dir)


def prepare_data(task_data, config, directory):
    """The character vocabulary of the training text."""
    return vocab_lib.save_vocabularies(
        {"chars": lm_inputs.build_vocabulary(task_data.splits["train"])}, directory)


def describe_data(task_data, count=3):
    return [repr(task_data.splits["train"][:200])]
