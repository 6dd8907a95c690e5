"""The G2P task: build, train and decode the grapheme-to-phoneme model.

The stage scripts stay short (parse flags, call one function here); the
logic lives here where tests can reach it.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

from models.attention.luong_attention import SCORES, WINDOWS
from models.seq2seq.attentive_decoder import STYLES
from models.seq2seq.seq2seq import ENCODERS
from pipeline.core import atomic, evaluation, registry, rundir, training
from pipeline.core import ensemble as ensemble_lib
from pipeline.core import export as export_lib
from pipeline.core.schema import Limit, at_least, fraction, one_of
from pipeline.data import builders as data_lib
from pipeline.data import vocab as vocab_lib
from pipeline.g2p_server import G2PServer
from pipeline.inputs import g2p as g2p_inputs

DEFAULTS = {
    "data": {"batch_size": 64, "max_train_words": 0, "max_eval_words": 0, "seed": 0},
    "model": {
        "embedding_dim": 64, "encoder": "recurrent", "cell": "lstm", "units": 128,
        "encoder_layers": 1, "bidirectional": True, "residual": True, "heads": 4,
        "intermediate_dim": 256, "attention": "luong", "score": "general",
        "window": "global", "window_size": 0, "attention_units": 0, "decoder_units": 0,
        "dropout": 0.1,
    },
    # scheduled_sampling: the probability, reached at the last epoch and
    # raised linearly from 0 at the first, that training feeds the decoder its
    # own sampled token instead of the gold one (0 = pure teacher forcing).
    # label_smoothing: epsilon of the targets (models.losses; 0 = none).
    "train": {"epochs": 10, "learning_rate": 2e-3, "schedule": "cosine", "clipnorm": 1.0,
              "patience": 3, "seed": 0, "jit_compile": False, "scheduled_sampling": 0.0,
              "strategy": "default", "ema": 0.0, "label_smoothing": 0.0},
    # max_input_length: longest word read (characters beyond it are cut);
    # xla: pad words to exactly max_input_length and compile the model and the
    # decoding with XLA (static shapes, the TPU route).
    # stress_marginal: search over phonemes without stress, each scored by the
    # summed probability of its stress variants, emitting the likeliest variant
    # (models.decoding.group_marginal).
    "decode": {"beam_width": 4, "length_penalty": 0.6, "max_length": 32,
               "max_input_length": 48, "xla": False, "stress_marginal": False},
    # runs: other runs whose models decode with this one's (pipeline.core.ensemble).
    "ensemble": dict(ensemble_lib.DEFAULTS),
    # stress: "keep" trains on the pronunciations as given; "strip" on them
    # with the stress digits removed (a prepare option: the phoneme vocabulary
    # then has no stress, and the stress-kept scores are not defined).
    # direction: "l2r" trains the decoder to emit the phonemes first to last,
    # "r2l" last to first (a training option: the later stages read it from
    # the run's config.json and turn the answers back around).
    "g2p": {"stress": "keep", "direction": "l2r"},
    # runs: other runs whose models rescore the beam's hypotheses (either
    # direction), weight: their share w of the score, the searching models
    # having 1 - w (models.decoding.rerank); propose: those that read in the
    # other direction also search, and both n-best lists are rescored.
    # learned: rank the candidates by a log-linear model of every model's score
    # (and the joint-sequence model's, of order joint_order; 0: none) that
    # evaluate fits on the validation split and predict and export use
    # (pipeline.g2p_reranker).
    "rerank": {"runs": "", "weight": 0.5, "propose": False, "learned": False,
               "joint_order": 5},
}

#: Limits of the task's own keys, beside `pipeline.core.schema.COMMON`.
LIMITS = {
    "data.max_train_words": at_least(0), "data.max_eval_words": at_least(0),  # 0: all
    "model.encoder": one_of(*ENCODERS), "model.attention": one_of(*STYLES),
    "model.score": one_of(*SCORES), "model.window": one_of(*WINDOWS),
    "model.window_size": at_least(0), "model.decoder_units": at_least(0),  # 0: default
    "train.scheduled_sampling": fraction(closed=True), "train.label_smoothing": fraction(),
    "decode.beam_width": at_least(1), "decode.max_length": at_least(1),
    "decode.max_input_length": at_least(1),
    "g2p.stress": one_of(*g2p_inputs.STRESS), "g2p.direction": one_of(*g2p_inputs.DIRECTIONS),
    "rerank.weight": fraction(closed=True),
    "rerank.joint_order": Limit(lambda order: 0 <= order <= 8,
                                "0 (no joint-sequence model) to 8"),
}

PRESETS = {
    "smoke": {"data": {"max_train_words": 300, "max_eval_words": 40, "batch_size": 32},
              "model": {"units": 16, "embedding_dim": 8, "intermediate_dim": 32},
              "train": {"epochs": 1}, "decode": {"beam_width": 2, "max_length": 12}},
    # quick: `make run`, within 10 minutes on 2 CPU cores. Batches of 128 and a
    # 128-unit decoder cost 0.62 of the CPU time a step of batch 64 with a
    # 256-unit decoder costs per example (measured), which buys a 4th epoch.
    "quick": {"data": {"max_eval_words": 2000, "batch_size": 128},
              "model": {"decoder_units": 128},
              "train": {"epochs": 4, "learning_rate": 3e-3}},
    # full: a 2-layer 256-unit BiLSTM encoder and a 256-unit decoder, at the
    # quick preset's batch and rate; its step costs 1.75 times a quick step
    # in CPU time (`python -m bench.g2p_step --preset full --steps 15`).
    # Dropout 0.3 scored 26.4% validation WER without stress against 25.4%
    # for 0.2 (one full run each, see the README).
    "full": {"data": {"batch_size": 128},
             "model": {"units": 256, "encoder_layers": 2, "decoder_units": 256,
                       "dropout": 0.2},
             "train": {"epochs": 16, "learning_rate": 3e-3, "patience": 4}},
}

#: The models `pipeline.compare --task g2p` trains (issue 4's comparison).
VARIANTS = {
    "luong": {"model": {"attention": "luong", "score": "general", "window": "global"}},
    "luong-local-p": {"model": {"attention": "luong", "score": "general",
                                "window": "local-p", "window_size": 3}},
    "bahdanau": {"model": {"attention": "bahdanau"}},
    "none": {"model": {"attention": "none"}},
    "transformer": {"model": {"encoder": "transformer"}},
}

#: The metrics `pipeline.compare` tabulates, the first one charted.
COMPARE_METRICS = ("wer_no_stress", "per_no_stress", "wer", "per")


SAMPLE_WORDS = ["hello", "world", "pronunciation", "tensorflow", "keras", "recurrent"]


def check_config(config):
    """Raises a UsageError naming the flags for `rerank` settings that
    contradict the decoding (`pipeline.core.cli.resolve` calls it before any
    work; the single values are `LIMITS`)."""
    from pipeline.core.errors import UsageError

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


def check_prepared(config, run_dir):
    """Raises a UsageError if the run was prepared with another `g2p.stress`
    than the configuration asks for (runs prepared before the option kept it)."""
    from pipeline.core.rundir import check_prepared_option

    check_prepared_option(run_dir, "g2p.stress", config["g2p"]["stress"], default="keep")


def load_vocabularies(run_dir):
    data_dir = os.path.join(run_dir, "data")
    return {name: vocab_lib.load_vocabulary(os.path.join(data_dir, f"vocab_{name}.json"))
            for name in ("graphemes", "phonemes")}


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


def subset(entries, limit, seed):
    """At most `limit` words of `entries` (0 = all), a seeded random choice."""
    if not limit or limit >= len(entries):
        return entries
    words = sorted(entries)
    chosen = np.random.default_rng(seed).choice(len(words), size=limit, replace=False)
    return {words[i]: entries[words[i]] for i in sorted(chosen)}


def splits(task_data, config):
    """The train, validation and test entries the configuration asks for;
    with `g2p.stress=strip` all without stress."""
    d = config["data"]
    chosen = {
        "train": subset(task_data.splits["train"], d["max_train_words"], d["seed"]),
        "validation": subset(task_data.splits["validation"], d["max_eval_words"], d["seed"]),
        "test": subset(task_data.splits["test"], d["max_eval_words"], d["seed"]),
    }
    if config["g2p"]["stress"] == "strip":
        chosen = {name: g2p_inputs.without_stress(entries) for name, entries in chosen.items()}
    return chosen


def as_dataset(entries):
    words = list(entries)
    return tf.data.Dataset.from_tensor_slices(
        {"word": words, "phonemes": tf.ragged.constant([entries[w] for w in words])})


def train(config, run_dir, data=None, data_dir=None):
    """Trains (or resumes training) and saves `<run_dir>/model.keras`.

    Rerunning the same command after a kill resumes from the last epoch
    (`keras.callbacks.BackupAndRestore`). Returns the Keras history dict.
    """
    rundir.ensure_prepared(registry.get(config["task"]), config, run_dir, data, data_dir)
    check_prepared(config, run_dir)
    vocabularies = load_vocabularies(run_dir)
    entries = splits(data_lib.load("g2p", data=data, data_dir=data_dir), config)
    if config["g2p"]["direction"] == "r2l":
        entries = {name: g2p_inputs.reversed_phonemes(split) for name, split in entries.items()}
    keras.utils.set_random_seed(config["train"]["seed"])
    train_batches, valid_batches = training_batches(config, vocabularies, entries)
    return training.fit(lambda: build_model(config, vocabularies), train_batches,
                        valid_batches, config, run_dir,
                        loss=loss(config["train"]["label_smoothing"]),
                        extra_callbacks=training_callbacks(config),
                        total_steps=total_steps(config, entries))


# The pieces of `train` that the tuner's `G2PHyperModel` trains with too.
def loss(label_smoothing=0.0):
    """Cross-entropy of the next phoneme, label-smoothed by `label_smoothing`
    (`models.losses`); padding (id 0) is ignored."""
    if label_smoothing:
        from models.losses import SmoothedSparseCrossentropy

        return SmoothedSparseCrossentropy(label_smoothing, ignore_class=0)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)


def training_batches(config, vocabularies, entries):
    """`(train, validation)` batches of the `splits` entries."""
    d = config["data"]
    train_batches = g2p_inputs.batches(as_dataset(entries["train"]), vocabularies,
                                       batch_size=d["batch_size"], training=True, seed=d["seed"])
    valid_batches = g2p_inputs.batches(as_dataset(entries["validation"]), vocabularies,
                                       batch_size=d["batch_size"])
    return train_batches, valid_batches


def total_steps(config, entries):
    """Optimizer steps of the whole run, for the cosine schedule."""
    pairs = sum(len(prons) for prons in entries["train"].values())
    # Bucketing leaves at most one short batch per bucket each epoch.
    steps = -(-pairs // config["data"]["batch_size"]) + len(g2p_inputs.BOUNDARIES) + 1
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


def make_server(config, run_dir, learned=None):
    """The `G2PServer` of a trained run with the configured decoding: the
    run's model, with those of the runs `ensemble.runs` lists (trained in
    the same direction), reranked by those of `rerank.runs`; `learned`, a
    `(theta, joint)` pair, as `G2PServer` takes it."""
    from pipeline.core.errors import UsageError

    models, vocabularies = ensemble_lib.load(config, run_dir, load_trained)
    direction = trained_direction(run_dir)
    for other in ensemble_lib.run_dirs(config):
        if trained_direction(other) != direction:
            raise UsageError(f"--set ensemble.runs: {other} was trained with g2p.direction="
                             f"{trained_direction(other)}, {run_dir} with {direction}; one "
                             "search needs one direction (rescore with rerank.runs instead)")
    rerank_runs = ensemble_lib.parse_runs(config["rerank"]["runs"])
    rerank_models = ensemble_lib.load_others(rerank_runs, run_dir, vocabularies, load_trained,
                                             flag="rerank.runs", task="g2p")
    rerankers = [(m, trained_direction(d) == "r2l")
                 for m, d in zip(rerank_models, rerank_runs, strict=True)]
    if config["rerank"]["propose"] and not any(r != (direction == "r2l") for _, r in rerankers):
        raise UsageError(f"--set rerank.propose=true: no run in rerank.runs reads in the other "
                         f"direction than {run_dir} ({direction})")
    return G2PServer(models, vocabularies, **config["decode"], reverse=direction == "r2l",
                     rerankers=rerankers, rerank_weight=config["rerank"]["weight"],
                     propose=config["rerank"]["propose"], learned=learned)


def make_served(config, run_dir):
    """`make_server` for predict and export: with `rerank.learned`, ranked by
    the reranker `evaluate` fitted (`pipeline.g2p_reranker.load_fitted`)."""
    from pipeline import g2p_reranker

    learned = g2p_reranker.load_fitted(config, run_dir) if config["rerank"]["learned"] else None
    return make_server(config, run_dir, learned)


def trained_direction(run_dir):
    """The `g2p.direction` a run was trained with (its `config.json`; runs
    from before the option are "l2r")."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        return "l2r"
    with open(path, encoding="utf-8") as f:
        return json.load(f).get("g2p", {}).get("direction", "l2r")


def predict(server, words, batch_size=256):
    """`{word: "P H O N E S"}` for a list of words, batch by batch."""
    out = {}
    for start in range(0, len(words), batch_size):
        chunk = words[start : start + batch_size]
        phonemes, _ = server(tf.constant(chunk))
        out.update(zip(chunk, (p.decode() for p in phonemes.numpy()), strict=True))
    return out


def predict_nbest(server, words, batch_size=256):
    """`{word: ["P H ...", ...]}`, every hypothesis of the search, best first."""
    out = {}
    for start in range(0, len(words), batch_size):
        chunk = words[start : start + batch_size]
        phonemes, _ = server.nbest(tf.constant(chunk))
        out.update(zip(chunk, ([p.decode() for p in row] for row in phonemes.numpy()),
                       strict=True))
    return out


def load_trained(run_dir):
    """The trained model of a run, and its vocabularies."""
    return training.load_trained(run_dir), load_vocabularies(run_dir)


def evaluate(config, run_dir, data=None, data_dir=None, plot_words=4, split="test"):
    """Decodes the test split (or `split`) and writes `metrics.json` and
    attention plots (`pipeline.core.evaluation.output_dir`).

    Returns the metrics dict: WER and PER with stress kept and removed
    (DESIGN section 3), the number of words, the n-best oracle WER (the
    words none of the search's `nbest` hypotheses gets right), and a sample
    of errors. A model
    trained without stress (`g2p.stress=strip`) has no stress-kept scores:
    `wer` and `per` are None.
    """
    from pipeline import g2p_scoring

    check_prepared(config, run_dir)
    all_splits = splits(data_lib.load("g2p", data=data, data_dir=data_dir), config)
    entries = all_splits[split]
    if config["rerank"]["learned"]:
        from pipeline import g2p_reranker

        server = make_server(config, run_dir, g2p_reranker.unfitted(config, run_dir, all_splits))
        nbest = g2p_reranker.rerank(config, run_dir, server, all_splits, split)
    else:
        server = make_server(config, run_dir)
        nbest = predict_nbest(server, sorted(entries))
    model, vocabularies = server.model, load_vocabularies(run_dir)
    predictions = {word: hypotheses[0] for word, hypotheses in nbest.items()}
    metrics = g2p_scoring.score_all(predictions, entries)
    # the n-best oracle: what reranking the search's lists could reach at best
    metrics["nbest"] = max(len(hypotheses) for hypotheses in nbest.values())
    metrics["oracle_wer"] = g2p_scoring.oracle_wer(nbest, entries)
    metrics["oracle_wer_no_stress"] = g2p_scoring.oracle_wer(nbest, entries, stress=False)
    stress = config["g2p"]["stress"] == "keep"
    if not stress:
        metrics.update(wer=None, per=None, oracle_wer=None)
    metrics["errors"] = g2p_scoring.errors(predictions, entries, 20, stress=stress)
    metrics["decode"] = dict(config["decode"])
    metrics["split"] = split
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plot_alignments(model, vocabularies, sorted(entries)[:plot_words], predictions,
                    evaluation.plots_dir(run_dir, split))
    return metrics


def plot_alignments(model, vocabularies, words, predictions, directory):
    """One PNG heatmap of the attention weights a word's predicted
    pronunciation gets (teacher-forced on the prediction), per word."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if model.attention_style == "none":
        return []
    os.makedirs(directory, exist_ok=True)
    encode = g2p_inputs.make_encoder(vocabularies)
    paths = []
    for word in words:
        pron = predictions[word] or g2p_inputs.END
        features, _ = encode(tf.constant(word), tf.constant(pron))
        batch = {k: v[None] for k, v in features.items()}
        _, weights = model.logits_and_alignments(batch)
        weights = np.asarray(weights[0], "float32")  # [T, S]
        rows = pron.split() + [g2p_inputs.END]
        fig, ax = plt.subplots(figsize=(0.5 * len(word) + 2, 0.4 * len(rows) + 1.5))
        ax.imshow(weights[: len(rows), : len(word)], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(word)), list(word))
        ax.set_yticks(range(len(rows)), rows)
        ax.set_title(f"attention: {word}")
        fig.tight_layout()
        paths.append(atomic.save_figure(fig, os.path.join(directory, f"alignment_{word}.png")))
    return paths


def serving_endpoint(server):
    """The `serving_default` function: `words [B]` -> `{"phonemes", "score"}`."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                 autograph=False)
    def serve(words):
        phonemes, score = server(words)
        return {"phonemes": phonemes, "score": score}

    return serve


def export(config, run_dir, directory):
    """Writes the SavedModel of a trained run into `directory` (which must not
    exist; the caller renames it into place). Returns the metadata dict."""
    check_prepared(config, run_dir)
    server = make_served(config, run_dir)
    export_lib.write_archive(directory,
                             [*server.models, *server.rerank_models, server.chars,
                              server.phones, server.phone_names,
                              *([server.joint] if server.joint is not None else [])],
                             {"serving_default": serving_endpoint(server)})
    return {"model": server.model.get_config(), "decode": dict(config["decode"]),
            "ensemble": {**config["ensemble"],
                         "models": [m.get_config() for m in server.models[1:]]},
            "inputs": {"words": "string [B]"},
            "rerank": {"weight": config["rerank"]["weight"],
                       "propose": config["rerank"]["propose"],
                       "models": [m.get_config() for m in server.rerank_models],
                       "directions": ["r2l" if r != server.reverse else "l2r"
                                      for r in server.rerank_reverse],
                       "learned": learned_metadata(config, run_dir)},
            "direction": "r2l" if server.reverse else "l2r",
            "stress": config["g2p"]["stress"],
            "outputs": {"phonemes": "string [B], space-separated ARPAbet"
                                    + (" without stress" if config["g2p"]["stress"] == "strip"
                                       else ""),
                        "score": "float32 [B], length-normalised log-probability"}}


def learned_metadata(config, run_dir):
    """The export's record of the learned reranker: its `rerank.json`
    (features, weights, joint-sequence order), or None without one."""
    if not config["rerank"]["learned"]:
        return None
    with open(os.path.join(run_dir, "rerank.json"), encoding="utf-8") as handle:
        return json.load(handle)


def show_export(path, config, run_dir):
    """Prints the export's answers for `SAMPLE_WORDS`, read back from the
    SavedModel as a TF Serving client gets them."""
    serve = tf.saved_model.load(path).signatures["serving_default"]
    answers = serve(words=tf.constant(SAMPLE_WORDS))
    print("answers of the export:")
    for word, phonemes, score in zip(SAMPLE_WORDS, answers["phonemes"].numpy(),
                                     answers["score"].numpy(), strict=True):
        print(f"  {word:<15} {phonemes.decode():<40} {score:7.3f}")


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a function that decodes `count` test words with the
    configured decoding, for `pipeline.compare`'s inference timing."""
    entries = splits(data_lib.load("g2p", data=data, data_dir=data_dir), config)["test"]
    words = tf.constant(sorted(entries)[:count])
    server = make_server(config, run_dir)
    return (lambda: server(words)), int(words.shape[0])


def predict_lines(config, run_dir, words):
    """`word<TAB>phonemes<TAB>score` lines for `words`."""
    return [f"{w}\t{p}\t{s:.3f}" for w, p, s in predict_words(config, run_dir, words)]


def predict_words(config, run_dir, words):
    """`[(word, phonemes, score)]` from a trained run, with the configured
    decoding."""
    server = make_served(config, run_dir)
    phonemes, scores = server(tf.constant(words, tf.string))
    return [(w, p.decode(), float(s))
            for w, p, s in zip(words, phonemes.numpy(), scores.numpy(), strict=True)]


# ------------------------------------------------------------------ prepare
#: Prepare options (recorded in prepared.json): stress chooses the phoneme vocabulary.
PREPARE_KEYS = ("g2p.stress",)


def load_data(config, data=None, data_dir=None):
    return data_lib.load("g2p", data=data, data_dir=data_dir)


def prepare_data(task_data, config, directory):
    """The grapheme and phoneme vocabularies of the training split (without
    stress digits when `g2p.stress` is "strip")."""
    train = task_data.splits["train"]
    stress = config["g2p"]["stress"]
    return vocab_lib.save_vocabularies(
        g2p_inputs.build_vocabularies(g2p_inputs.without_stress(train) if stress == "strip"
                                      else train), directory)


def describe_data(task_data, count=3):
    train = task_data.splits["train"]
    return [f"{word} -> {' | '.join(train[word])}" for word in list(train)[:count]]
