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
from pipeline import atomic, evaluation, training
from pipeline import data as data_lib
from pipeline import ensemble as ensemble_lib
from pipeline import export as export_lib
from pipeline import vocab as vocab_lib
from pipeline.inputs import g2p as g2p_inputs
from pipeline.limits import Limit, at_least, fraction, one_of

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
    # label_smoothing: epsilon of the targets (pipeline.losses; 0 = none).
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
    # runs: other runs whose models decode with this one's (pipeline.ensemble).
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

#: Limits of the task's own keys, beside `pipeline.limits.shared()`.
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

#: the learned reranker's joint-sequence feature of a pair no graphone
#: segmentation covers (log p(X, Y) is -inf there)
JOINT_FLOOR = -100.0

SAMPLE_WORDS = ["hello", "world", "pronunciation", "tensorflow", "keras", "recurrent"]


def check_config(config):
    """Raises a UsageError naming the flags for `rerank` settings that
    contradict the decoding (`pipeline.stage.resolve` calls it before any
    work; the single values are `LIMITS`)."""
    from pipeline.errors import UsageError

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
    from pipeline.prepare import check_prepared_option

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
    # ids 0 and 1 are padding and out-of-vocabulary (pipeline.vocab)
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
    training.ensure_prepared(config, run_dir, data, data_dir)
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
    (`pipeline.losses`); padding (id 0) is ignored."""
    if label_smoothing:
        from pipeline.losses import SmoothedSparseCrossentropy

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


class G2PServer(tf.Module):
    """Words in, pronunciations out: preprocessing, model and decoding in one
    graph, what the export serves (DESIGN section 5).

    Words are lower-cased and cut to `max_input_length` characters;
    characters outside the training vocabulary map to the out-of-vocabulary
    id. An empty word gets an empty pronunciation and score 0.

    Several models decode as an ensemble: every step scores the next phoneme
    by the mean of the models' log-probabilities, renormalised by the
    decoder, i.e. the normalised geometric mean of their distributions (a
    product of experts, Hinton 2002; ensembles of seq2seq models: Sutskever
    et al. 2014, Wu et al. 2016). One search runs over the combined scores,
    each model keeping its own state.

    Args:
        model: a trained `Seq2Seq`, or a list of them trained with the same
            vocabularies (an ensemble).
        vocabularies: `{"graphemes": [...], "phonemes": [...]}`.
        beam_width: 1 decodes greedily, more uses beam search.
        length_penalty: alpha of Wu et al. (2016) eq. (14).
        max_length: most phonemes emitted.
        max_input_length: longest word read, in characters.
        xla: pad every word to `max_input_length` characters, so the model
            and the decoding see static shapes, and compile them with XLA
            (`tf.function(jit_compile=True)`); the string handling around
            them stays outside XLA. The batch dimension stays dynamic.
        stress_marginal: choose each phoneme by the summed probability of
            its stress variants (`AH0`, `AH1`, `AH2` as one `AH`) and emit
            its most probable variant (`models.decoding.group_marginal`).
        reverse: the models emit the phonemes last to first
            (`g2p.direction=r2l`); the answers are turned back around.
        rerankers: `(model, reverse)` pairs, models (of either direction)
            that rescore the beam's hypotheses together with the searching
            models (`models.decoding.rerank`); needs `beam_width` > 1.
        rerank_weight: the rerankers' share w of the score (each of them
            w / their number, each searching model (1 - w) / theirs).
        propose: the rerankers that read in the other direction search too,
            as an ensemble of their own, and their n-best list joins the
            first one before the rescoring (2K hypotheses a word, a
            hypothesis both lists hold kept once): the joint n-best
            rescoring of Liu et al. (2016), section 3.
        learned: `(theta, joint)`, the learned reranker
            (`pipeline.g2p_reranker`): the candidates' features f are every
            model's log P(Y | X) and, with a `JointSequenceModel` `joint`,
            its log p(X, Y) (in the graph, `pipeline.joint_sequence_graph`;
            not under XLA); with weights `theta` (None while `evaluate`
            fits them) the answer is the candidate with the largest
            theta . f.
    """

    def __init__(self, model, vocabularies, beam_width=4, length_penalty=0.6, max_length=32,
                 max_input_length=48, xla=False, stress_marginal=False, reverse=False,
                 rerankers=(), rerank_weight=0.5, propose=False, learned=None):
        super().__init__()
        if rerankers and beam_width < 2:
            raise ValueError("`rerankers` need a beam search (beam_width > 1). "
                             f"Received: beam_width={beam_width}")
        from models.decoding import BeamSearchDecoder, GreedyDecoder
        from pipeline.g2p_scoring import strip_stress

        self.models = list(model) if isinstance(model, (list, tuple)) else [model]
        self.model = self.models[0]
        self.reverse = reverse
        self.rerank_models = [m for m, _ in rerankers]
        self.rerank_reverse = [r != reverse for _, r in rerankers]  # against the search's order
        self.rerank_weight = rerank_weight
        self.proposers = [m for m, r in zip(self.rerank_models, self.rerank_reverse, strict=True)
                          if r] if propose else []
        if propose and not self.proposers:
            raise ValueError("`propose` needs a reranker that reads in the other direction")
        self.length_penalty = length_penalty
        self.theta = self.joint = None
        if learned is not None:
            from pipeline.joint_sequence_graph import JointSequenceScorer

            theta, joint = learned
            self.theta = tf.constant(theta, tf.float64) if theta is not None else None
            self.joint = JointSequenceScorer(joint) if joint is not None else None
        self.max_input_length = max_input_length
        self.xla = xla
        self.decode_ids = tf.function(self._decode_ids, jit_compile=True, autograph=False) \
            if xla else self._decode_ids
        self.chars = vocab_lib.lookup(vocabularies["graphemes"])
        self.phones = vocab_lib.lookup(vocabularies["phonemes"])
        self.phone_names = vocab_lib.lookup(vocabularies["phonemes"], invert=True)
        self.chars(tf.constant([""]))  # build the lookups (export tracks built layers)
        self.phone_names(tf.constant([0], tf.int64))
        self.start_id = int(self.phones(g2p_inputs.START))
        self.end_id = end_id = int(self.phones(g2p_inputs.END))
        # Never emit padding, the out-of-vocabulary token or the start token.
        forbidden = np.zeros(len(vocabularies["phonemes"]) + 2, "float32")
        forbidden[[0, 1, self.start_id]] = -1e9
        self.forbidden = tf.constant(forbidden)
        # the class of every phoneme id; the reserved ids 0 and 1 are their own
        self.stress_classes = (["\0pad", "\0oov", *strip_stress(vocabularies["phonemes"])]
                               if stress_marginal else None)
        if beam_width == 1:
            self.decoder = GreedyDecoder(max_length=max_length, end_id=end_id)
        else:
            self.decoder = BeamSearchDecoder(beam_width, max_length=max_length, end_id=end_id,
                                             length_penalty=length_penalty)

    def encode_words(self, words):
        """`[B]` strings -> padded character ids `[B, S]` and lengths `[B]`;
        S is `max_input_length` with `xla`, else the longest word (at least 1)."""
        chars = g2p_inputs.graphemes(tf.strings.lower(words, encoding="utf-8"))
        chars = chars[:, : self.max_input_length]
        if self.xla:
            ids = self.chars(chars).to_tensor(shape=[None, self.max_input_length])  # [B, L]
        else:
            ids = self.chars(chars).to_tensor()  # [B, S]
            ids = tf.concat([ids, tf.zeros_like(ids[:, :1])], axis=1)  # S >= 1, empty batches
        return ids, chars.row_lengths()

    def step(self, ids, state, t):
        """The decoders' `step_fn`: the models' mean log-probabilities
        `[N, V]` (one model: its own), forbidden tokens masked, stress
        variants summed with `stress_marginal`, and the models' states (a
        tuple, one per model)."""
        return self.ensemble_step(self.models, ids, state, t)

    def ensemble_step(self, models, ids, state, t):
        """`step` for the given models (the proposing rerankers' search)."""
        outputs = [m.decoder_step(ids, s, t) for m, s in zip(models, state, strict=True)]
        log_probs = [tf.nn.log_softmax(tf.cast(logits, tf.float32)) for logits, _ in outputs]
        scores = tf.add_n(log_probs) / len(log_probs) + self.forbidden  # [N, V]
        if self.stress_classes is not None:
            from models.decoding import group_marginal

            scores = group_marginal(scores, self.stress_classes)
        return scores, tuple(s for _, s in outputs)

    def _decode_ids(self, ids):
        """Character ids `[B, S]` -> the best phoneme ids `[B, T]`, their
        scores `[B]` and lengths `[B]`."""
        hypotheses, scores, lengths = self.search(ids)
        return hypotheses[:, 0], scores[:, 0], lengths[:, 0]

    def search(self, ids):
        """Character ids `[B, S]` -> the hypotheses `[B, K, T]` in reading
        order, best first (K = 1 greedy, 2 * beam_width with `propose`),
        their scores `[B, K]` (float32) and lengths `[B, K]`; reranked when
        there are rerankers."""
        hypotheses, scores, lengths = self.search_with(ids, self.models)
        if len(hypotheses.shape) == 2:  # greedy: one hypothesis
            hypotheses, scores, lengths = hypotheses[:, None], scores[:, None], lengths[:, None]
        elif self.rerank_models:
            if self.proposers:
                hypotheses, scores, lengths = self.join_proposals(ids, hypotheses, scores,
                                                                  lengths)
            hypotheses, scores, lengths = self.rerank(ids, hypotheses, scores, lengths)
        if self.reverse:  # emitted last to first
            hypotheses = reverse_hypotheses(hypotheses, lengths)
        return hypotheses, tf.cast(scores, tf.float32), lengths

    def search_with(self, ids, models):
        """The decoder's search by the ensemble of `models` (one direction):
        `[B, K, T]` hypotheses (`[B, T]` greedy), scores and lengths."""
        state = tuple(m.initial_decoder_state(ids) for m in models)
        start = tf.fill(tf.shape(ids)[:1], self.start_id)
        return self.decoder(lambda *args: self.ensemble_step(models, *args), state, start)[:3]

    def join_proposals(self, ids, hypotheses, scores, lengths):
        """The search's `[B, K, T]` n-best list followed by the proposing
        rerankers' one, turned into the search's order: `[B, 2K, T]`, with
        the scores and lengths; a hypothesis already in the first list is
        scored -inf in the second, so that the rescoring puts it last."""
        others, other_scores, other_lengths = self.search_with(ids, self.proposers)
        others = reverse_hypotheses(others, other_lengths)
        other_scores = tf.where(contains(hypotheses, lengths, others, other_lengths),
                                float("-inf"), other_scores)
        return (tf.concat([hypotheses, others], axis=1), tf.concat([scores, other_scores], axis=1),
                tf.concat([lengths, other_lengths], axis=1))

    def rerank(self, ids, hypotheses, scores, lengths):
        """The beam's `[B, K, T]` hypotheses reordered by the searching
        models and the rerankers together (`models.decoding.rerank`): each
        model scores whole hypotheses (the forbidden tokens masked, as in
        the search), and the scores mix with the weights. For one searching
        model and `rerank_weight` 0 that is the search's own score; an
        ensemble's search renormalises the mean at every step instead."""
        from models.decoding import rerank

        own = (1.0 - self.rerank_weight) / len(self.models)
        other = self.rerank_weight / len(self.rerank_models)
        weights = [own] * len(self.models) + [other] * len(self.rerank_models)
        return rerank(hypotheses, lengths, scores, self.scorers(ids, hypotheses.shape[1]),
                      weights, self.length_penalty)

    def scorers(self, ids, width):
        """One function `(tokens [N, T], lengths [N], ended [N]) -> log P(Y | X)
        [N]` per model, the searching ones then the rerankers, for `width`
        hypotheses (in the search's order) per source row of `ids`; the
        forbidden tokens are masked, as in the search."""
        def scorer(model, reverse):
            def score(tokens, token_lengths, ended):  # [N, T], [N], [N] -> [N]
                if reverse:
                    tokens = tf.reverse_sequence(tokens, token_lengths, seq_axis=1, batch_axis=0)
                return model.sequence_log_probs(ids, tokens, token_lengths, self.start_id,
                                                self.end_id, ended, logit_bias=self.forbidden,
                                                repeats=width)
            return score

        return [scorer(m, False) for m in self.models] + [
            scorer(m, r) for m, r in zip(self.rerank_models, self.rerank_reverse, strict=True)]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                 autograph=False)
    def candidates(self, words):
        return self._candidates(words)

    def _candidates(self, words):
        """The search's hypotheses before any reranking (with `propose`, the
        2K of both searches) and the learned reranker's features of each
        (`pipeline.g2p_reranker`): `(phonemes [B, K] string in reading
        order, features [B, K, F] float64, lengths [B, K] int32 with the
        end token, valid [B, K])`. The features are every model's log P(Y |
        X) of the whole hypothesis, the searching models then the
        rerankers, and, with a joint model, its log p(X, Y) of the
        lower-case word and the pronunciation without stress, floored at
        `JOINT_FLOOR`; all 0 where `valid` is false (a proposal the first
        list already holds)."""
        ids, _ = self.encode_words(words)
        hypotheses, scores, lengths = self.search_with(ids, self.models)
        if self.proposers:
            hypotheses, scores, lengths = self.join_proposals(ids, hypotheses, scores, lengths)
        batch, width, steps = tf.unstack(tf.shape(hypotheses))
        flat = tf.reshape(hypotheses, [batch * width, steps])  # [N, T]
        flat_lengths = tf.reshape(lengths, [-1])  # [N]
        ended = flat_lengths < steps  # unfinished hypotheses have no end token
        log_probs = tf.stack([tf.cast(score(flat, flat_lengths, ended), tf.float32)
                              for score in self.scorers(ids, hypotheses.shape[1])], axis=-1)
        if self.reverse:  # emitted last to first
            hypotheses = reverse_hypotheses(hypotheses, lengths)
        mask = tf.sequence_mask(lengths, steps)
        tokens = tf.ragged.boolean_mask(self.phone_names(hypotheses), mask)
        phonemes = tf.strings.reduce_join(tokens, axis=-1, separator=" ").to_tensor()  # [B, K]
        features = [tf.reshape(tf.cast(log_probs, tf.float64), [batch, width, -1])]
        if self.joint is not None:
            lower = tf.repeat(tf.strings.lower(words, encoding="utf-8"), width)  # [B * K]
            tokens = tf.strings.split(tf.reshape(phonemes, [-1]))
            plain = tf.strings.reduce_join(tf.ragged.map_flat_values(
                tf.strings.regex_replace, tokens, "^([A-Za-z]+)[012]$", r"\1"), axis=-1,
                separator=" ")  # without stress (g2p_scoring.strip_stress)
            joint = tf.maximum(self.joint(lower, plain), JOINT_FLOOR)
            features.append(tf.reshape(joint, [batch, width, 1]))
        valid = tf.math.is_finite(scores)
        features = tf.where(valid[..., None], tf.concat(features, axis=-1), 0.0)
        return (phonemes, features,
                tf.reshape(flat_lengths + tf.cast(ended, flat_lengths.dtype), [batch, width]),
                valid)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                 autograph=False)
    def nbest(self, words):
        """`(phonemes [B, K] string, score [B, K] float32)`: every
        hypothesis the search kept, best first (not part of the export)."""
        ids, _ = self.encode_words(words)
        hypotheses, scores, lengths = self.search(ids)
        mask = tf.sequence_mask(lengths, tf.shape(hypotheses)[2])
        tokens = tf.ragged.boolean_mask(self.phone_names(hypotheses), mask)
        return tf.strings.reduce_join(tokens, axis=-1, separator=" "), scores

    # autograph=False: nothing here branches on tensors (the decoders run their
    # own tf.while_loop), and autograph re-reads source files when it traces,
    # which breaks a long-running process whose files are being edited.
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                 autograph=False)
    def __call__(self, words):
        """`(phonemes [B] string, score [B] float32)` for words `[B]`."""
        ids, lengths = self.encode_words(words)
        if self.theta is not None:
            phonemes, score = self.learned_best(words)
        else:
            best, score, best_len = self.decode_ids(ids)
            mask = tf.sequence_mask(best_len, tf.shape(best)[1])
            tokens = tf.ragged.boolean_mask(self.phone_names(best), mask)
            phonemes = tf.strings.reduce_join(tokens, axis=1, separator=" ")
        empty = tf.equal(lengths, 0)
        phonemes = tf.where(empty, "", phonemes)
        score = tf.where(empty, 0.0, score)
        return phonemes, score

    def learned_best(self, words):
        """The candidate the learned reranker ranks first, `(phonemes [B],
        theta . f [B] float32)`, as `pipeline.g2p_reranker.rerank` ranks."""
        phonemes, features, _, valid = self._candidates(words)  # [B, K], [B, K, F]
        scores = tf.linalg.matvec(features, self.theta)  # [B, K]
        scores = tf.where(valid, scores, tf.constant(-np.inf, tf.float64))
        best = tf.argmax(scores, axis=1, output_type=tf.int32)
        return (tf.gather(phonemes, best, batch_dims=1),
                tf.cast(tf.gather(scores, best, batch_dims=1), tf.float32))


def make_server(config, run_dir, learned=None):
    """The `G2PServer` of a trained run with the configured decoding: the
    run's model, with those of the runs `ensemble.runs` lists (trained in
    the same direction), reranked by those of `rerank.runs`; `learned`, a
    `(theta, joint)` pair, as `G2PServer` takes it."""
    from pipeline.errors import UsageError

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


def reverse_hypotheses(hypotheses, lengths):
    """`[B, K, T]` hypotheses with their first `lengths [B, K]` tokens in
    the opposite order (the padding stays behind them)."""
    shape = tf.shape(hypotheses)
    flat = tf.reverse_sequence(tf.reshape(hypotheses, [-1, shape[2]]), tf.reshape(lengths, [-1]),
                               seq_axis=1, batch_axis=0)
    return tf.reshape(flat, shape)


def contains(hypotheses, lengths, others, other_lengths):
    """bool `[B, K2]`: whether each of `others [B, K2, T]` is one of the
    `hypotheses [B, K, T]` of its row (the same tokens and length)."""
    same = tf.reduce_all(hypotheses[:, None] == others[:, :, None], axis=-1)  # [B, K2, K]
    same &= lengths[:, None] == other_lengths[:, :, None]
    return tf.reduce_any(same, axis=-1)


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
    attention plots (`pipeline.evaluation.output_dir`).

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
