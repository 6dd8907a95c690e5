"""`models.decoding`: greedy and beam search on toy models with fixed
probabilities, against hand-computed values, NumPy transcriptions and
exhaustive enumeration; eagerly, in `tf.function`, under XLA and through a
SavedModel."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from models.decoding import PAD_ID, BeamSearchDecoder, Decoder, GreedyDecoder, length_penalty

# Toy vocabulary: 0 is padding (never predicted), 1 ends a sequence, 2 and 3
# are words, 4 is a start symbol (never predicted).
PAD, END, A, B, BOS = PAD_ID, 1, 2, 3, 4
assert PAD == 0
V = 5


def log(p):
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, "float64"))


def lp(n, alpha):
    """Wu et al. (2016) eq. (14), written out independently."""
    return (5.0 + n) ** alpha / (5.0 + 1.0) ** alpha


def one_hot(token, size=V):
    p = np.zeros(size)
    p[token] = 1.0
    return p


# --- toy models --------------------------------------------------------------


class MarkovModel:
    """Logits depend only on (step t, previous token): ``table[t, prev]``."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, "float64")  # [L, V, V]
        self.table = tf.constant(log(self.probs), tf.float32)

    def dist(self, prefix):
        return self.probs[len(prefix) - 1, prefix[-1]]

    def step_fn(self, ids, state, t):
        logits = tf.gather(self.table[t], ids)  # [N, V]
        return logits, state + 1  # the state is a step counter [N]

    def initial_state(self, batch):
        return tf.zeros([batch], tf.int32)


class PrefixModel:
    """Logits depend on the whole prefix (start id included).

    The state is nested: ``{"history": [N, L] tokens so far, "aux": ([N, 2, 3],)}``.
    Each step writes the previous token into the history and looks its logits
    up by the code of the whole history, so a decoder that does not reorder the
    state by beam parents feeds the wrong prefix and gets the wrong logits.

    Args:
        probs: dict from prefix tuple to a probability vector over the vocab.
        default: the distribution of every prefix not in `probs`.
    """

    def __init__(self, probs, max_length, vocab_size=V, default=None):
        self.V, self.L = vocab_size, max_length
        self.probs = {k: np.asarray(v, "float64") for k, v in probs.items()}
        self.default = one_hot(END, vocab_size) if default is None else np.asarray(default)
        table = np.tile(log(self.default), [2 * self.V**self.L, 1])  # every code < 2 V^L
        for prefix, p in self.probs.items():
            table[self.code(prefix)] = log(p)
        self.table = tf.constant(table, tf.float32)

    def code(self, prefix):
        c = 1
        for token in prefix:
            c = c * self.V + token
        return c

    def dist(self, prefix):
        return self.probs.get(tuple(prefix), self.default)

    def step_fn(self, ids, state, t):
        history = state["history"]  # [N, L]
        history = tf.where(tf.range(self.L)[None, :] == t, ids[:, None], history)
        code = tf.ones_like(ids)  # [N]
        for j in range(self.L):
            code = tf.where(j <= t, code * self.V + history[:, j], code)
        logits = tf.gather(self.table, code)  # [N, V]
        return logits, {"history": history, "aux": (state["aux"][0] + 1.0,)}

    def initial_state(self, batch):
        return {
            "history": tf.zeros([batch, self.L], tf.int32),
            "aux": (tf.zeros([batch, 2, 3], tf.float32),),
        }


def random_markov(seed, max_length, vocab_size=V, end_after_end=None):
    """A Markov model with random distributions over the word tokens and END
    (never PAD or BOS)."""
    rng = np.random.default_rng(seed)
    probs = np.zeros([max_length, vocab_size, vocab_size])
    probs[..., [END, A, B]] = rng.dirichlet(np.ones(3), size=[max_length, vocab_size])
    if end_after_end is not None:  # what the model says after END (ignored by decoders)
        probs[:, END] = end_after_end
    return MarkovModel(probs)


def random_prefix(seed, max_length, starts=(A, B)):
    """A PrefixModel with a random distribution for every word prefix."""
    rng = np.random.default_rng(seed)
    probs = {}
    for start in starts:
        for t in range(max_length):
            for words in itertools.product((A, B), repeat=t):
                p = np.zeros(V)
                p[[END, A, B]] = rng.dirichlet(np.ones(3) * 0.7)
                probs[(start, *words)] = p
    return PrefixModel(probs, max_length)


# --- NumPy references ---------------------------------------------------------


def ref_greedy(model, start, max_length):
    prefix, out, score = (start,), [], 0.0
    for _ in range(max_length):
        p = model.dist(prefix)
        y = int(np.argmax(p))
        score += math.log(p[y])
        if y == END:
            return out, score, len(out)
        out.append(y)
        prefix += (y,)
    return out, score, len(out)


def ref_hypotheses(model, start, max_length):
    """Every hypothesis with nonzero probability: (tokens, log P, |Y|)."""
    done = []

    def grow(prefix, out, score):
        if len(out) == max_length:
            done.append((out, score, len(out)))
            return
        p = model.dist(prefix)
        for y in np.flatnonzero(p > 0):
            if y == END:
                done.append((out, score + math.log(p[y]), len(out) + 1))
            else:
                grow(prefix + (int(y),), out + [int(y)], score + math.log(p[y]))

    grow((start,), [], 0.0)
    return done


def ref_beam(model, start, max_length, K, alpha):
    """Beam search written out with Python lists: (tokens, log P, finished)."""
    beams = [([], 0.0, False)]
    for _ in range(max_length):
        candidates = []
        for out, score, finished in beams:
            if finished:
                candidates.append((out, score, True))
                continue
            p = model.dist((start, *out))
            for y in np.flatnonzero(p > 0):
                candidates.append(
                    (out if y == END else out + [int(y)], score + math.log(p[y]), y == END)
                )
        candidates.sort(key=lambda h: -h[1] / lp(len(h[0]) + h[2], alpha))
        beams = candidates[:K]
        if all(h[2] for h in beams):
            break
    return [(out, s / lp(len(out) + f, alpha), len(out)) for out, s, f in beams]


def padded(tokens, max_length):
    return list(tokens) + [PAD] * (max_length - len(tokens))


def decode(decoder, model, starts):
    starts = tf.constant(starts, tf.int32)
    return [
        t.numpy() for t in decoder(model.step_fn, model.initial_state(len(starts)), starts)
    ]


# --- greedy -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_greedy_matches_numpy_reference(seed):
    L = 6
    model = random_markov(seed, L)
    starts = [A, B, END, A]
    ids, scores, lengths = decode(GreedyDecoder(L, END), model, starts)
    assert ids.shape == (4, L) and ids.dtype == np.int32
    assert scores.dtype == np.float32 and lengths.dtype == np.int32
    for b, start in enumerate(starts):
        out, score, length = ref_greedy(model, start, L)
        np.testing.assert_array_equal(ids[b], padded(out, L))
        np.testing.assert_allclose(scores[b], score, rtol=1e-5)
        assert lengths[b] == length


def test_greedy_hand_example_and_finished_rows_stay_finished():
    # t=0 from BOS: B .6, END .3, A .1;  t=1 from B: END .7, A .2, B .1.
    # After END the model would say A with .9: the decoder must ignore it.
    L = 5
    probs = np.tile(one_hot(A), [L, V, 1]) * 0.9 + np.tile(one_hot(END), [L, V, 1]) * 0.1
    probs[0, BOS] = [0, 0.3, 0.1, 0.6, 0]
    probs[1, B] = [0, 0.7, 0.2, 0.1, 0]
    model = MarkovModel(probs)
    ids, scores, lengths = decode(GreedyDecoder(L, END), model, [BOS])
    np.testing.assert_array_equal(ids, [[B, PAD, PAD, PAD, PAD]])
    np.testing.assert_allclose(scores, [math.log(0.6) + math.log(0.7)], rtol=1e-6)
    np.testing.assert_array_equal(lengths, [1])
    # more steps after the end change nothing
    ids2, scores2, lengths2 = decode(GreedyDecoder(2, END), model, [BOS])
    np.testing.assert_array_equal(ids2, ids[:, :2])
    np.testing.assert_array_equal(scores2, scores)
    np.testing.assert_array_equal(lengths2, lengths)


def test_greedy_without_end_has_full_length():
    probs = np.tile(one_hot(A) * 0.7 + one_hot(B) * 0.3, [4, V, 1])  # END never
    ids, scores, lengths = decode(GreedyDecoder(4, END), MarkovModel(probs), [BOS, B])
    np.testing.assert_array_equal(ids, [[A] * 4, [A] * 4])
    np.testing.assert_allclose(scores, [4 * math.log(0.7)] * 2, rtol=1e-6)
    np.testing.assert_array_equal(lengths, [4, 4])


# --- beam search ---------------------------------------------------------------


GREEDY_TRAP = {
    (BOS,): [0, 0.1, 0.5, 0.4, 0],  # greedy takes A ...
    (BOS, A): [0, 0.4, 0.3, 0.3, 0],  # ... and at best ends with .5 * .4 = .20
    (BOS, B): [0, 0.9, 0.05, 0.05, 0],  # B then END: .4 * .9 = .36
}


def test_beam_finds_what_greedy_misses():
    L = 3
    model = PrefixModel(GREEDY_TRAP, L)
    g_ids, g_scores, g_lengths = decode(GreedyDecoder(L, END), model, [BOS])
    np.testing.assert_array_equal(g_ids, [[A, PAD, PAD]])
    np.testing.assert_allclose(g_scores, [math.log(0.5 * 0.4)], rtol=1e-6)

    ids, scores, lengths = decode(BeamSearchDecoder(2, L, END, length_penalty=0.0), model, [BOS])
    assert ids.shape == (1, 2, L) and scores.shape == lengths.shape == (1, 2)
    np.testing.assert_array_equal(ids, [[[B, PAD, PAD], [A, PAD, PAD]]])
    np.testing.assert_allclose(scores, [[math.log(0.4 * 0.9), math.log(0.5 * 0.4)]], rtol=1e-6)
    np.testing.assert_array_equal(lengths, [[1, 1]])


# A short hypothesis [A] (P = .55, |Y| = 2 with END) against a long one
# [B B B B] (P = .45, |Y| = 5). alpha = 0: log .55 = -0.598 > log .45 = -0.799.
# alpha = 1: -0.598 / (7/6) = -0.512 < -0.799 / (10/6) = -0.479.
FLIP = {
    (BOS,): [0, 0, 0.55, 0.45, 0],
    (BOS, A): one_hot(END),
    (BOS, B): one_hot(B),
    (BOS, B, B): one_hot(B),
    (BOS, B, B, B): one_hot(B),
    (BOS, B, B, B, B): one_hot(END),
}


@pytest.mark.parametrize(
    "alpha, expected_ids, expected_scores, expected_lengths",
    [
        (0.0, [[A], [B, B, B, B]], [math.log(0.55), math.log(0.45)], [1, 4]),
        (
            1.0,
            [[B, B, B, B], [A]],
            [math.log(0.45) / (10 / 6), math.log(0.55) / (7 / 6)],
            [4, 1],
        ),
    ],
)
def test_length_penalty_flips_ranking(alpha, expected_ids, expected_scores, expected_lengths):
    L = 6
    model = PrefixModel(FLIP, L)
    ids, scores, lengths = decode(BeamSearchDecoder(2, L, END, length_penalty=alpha), model, [BOS])
    np.testing.assert_array_equal(ids[0], [padded(x, L) for x in expected_ids])
    np.testing.assert_allclose(scores[0], expected_scores, rtol=1e-6)
    np.testing.assert_array_equal(lengths[0], expected_lengths)


def test_length_penalty_formula():
    n = np.array([1, 2, 5, 10])
    for alpha in (0.0, 0.6, 1.0):
        np.testing.assert_allclose(length_penalty(n, alpha).numpy(), lp(n, alpha), rtol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_beam_width_one_equals_greedy(seed):
    L = 6
    model = random_markov(seed, L)
    starts = [A, B, BOS]
    g_ids, g_scores, g_lengths = decode(GreedyDecoder(L, END), model, starts)
    ids, scores, lengths = decode(BeamSearchDecoder(1, L, END, length_penalty=0.0), model, starts)
    np.testing.assert_array_equal(ids[:, 0], g_ids)
    np.testing.assert_allclose(scores[:, 0], g_scores, rtol=1e-6)
    np.testing.assert_array_equal(lengths[:, 0], g_lengths)
    # with a penalty the same sequences, their scores divided by lp(|Y|)
    ids, scores, lengths = decode(BeamSearchDecoder(1, L, END, length_penalty=0.6), model, starts)
    np.testing.assert_array_equal(ids[:, 0], g_ids)
    n = g_lengths + (g_lengths < L)  # |Y| counts END when it was emitted
    np.testing.assert_allclose(scores[:, 0], g_scores / lp(n, 0.6), rtol=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("seed", range(3))
def test_wide_beam_is_exhaustive_search(seed, alpha):
    """With K at least the number of possible hypotheses (15 here) nothing is
    pruned, so the beams are the exact top-K of an exhaustive enumeration."""
    L, K = 3, 16
    model = random_prefix(seed, L)
    starts = [A, B]
    ids, scores, lengths = decode(BeamSearchDecoder(K, L, END, alpha), model, starts)
    for b, start in enumerate(starts):
        hyps = ref_hypotheses(model, start, L)
        assert len(hyps) == 15
        hyps.sort(key=lambda h: -h[1] / lp(h[2], alpha))
        n = len(hyps)
        np.testing.assert_array_equal(ids[b, :n], [padded(h[0], L) for h in hyps])
        np.testing.assert_allclose(
            scores[b, :n], [h[1] / lp(h[2], alpha) for h in hyps], rtol=1e-5
        )
        np.testing.assert_array_equal(lengths[b, :n], [len(h[0]) for h in hyps])
        assert np.all(scores[b, n:] == -np.inf)  # the beams no hypothesis could fill


@pytest.mark.parametrize("alpha", [0.0, 0.6])
@pytest.mark.parametrize("seed", range(4))
def test_beam_matches_numpy_reference(seed, alpha):
    """Narrow beams prune: compare with a list-based transcription."""
    L, K = 5, 3
    model = random_prefix(seed, L)
    starts = [B, A]
    ids, scores, lengths = decode(BeamSearchDecoder(K, L, END, alpha), model, starts)
    for b, start in enumerate(starts):
        ref = ref_beam(model, start, L, K, alpha)
        np.testing.assert_array_equal(ids[b], [padded(h[0], L) for h in ref])
        np.testing.assert_allclose(scores[b], [h[1] for h in ref], rtol=1e-5)
        np.testing.assert_array_equal(lengths[b], [h[2] for h in ref])


def test_beams_start_distinct():
    """Identical tiled start states must not give K copies of the best token."""
    probs = np.tile(np.array([0, 0.1, 0.5, 0.4, 0]), [2, V, 1])  # t = 1: A .5, B .4
    probs[0] = [0, 0.1, 0.6, 0.3, 0]  # t = 0: A .6, B .3
    ids, scores, _ = decode(BeamSearchDecoder(3, 2, END, 0.0), MarkovModel(probs), [BOS])
    np.testing.assert_array_equal(ids[0], [[A, A], [A, B], [B, A]])
    np.testing.assert_allclose(scores[0], log([0.6 * 0.5, 0.6 * 0.4, 0.3 * 0.5]), rtol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_finished_hypotheses_are_padded_and_frozen(seed):
    """After END the model strongly prefers A; decoders must ignore it."""
    L, K = 6, 4
    model = random_markov(seed, L, end_after_end=[0, 0.02, 0.95, 0.03, 0])
    ids, scores, lengths = decode(BeamSearchDecoder(K, L, END, 0.6), model, [A, B])
    positions = np.arange(L)
    assert np.all(ids[positions >= lengths[..., None]] == PAD)
    assert np.all(ids[positions < lengths[..., None]] != PAD)
    assert np.all(ids != END)
    # every returned hypothesis scored as its NumPy transcription: the log
    # probabilities up to and including END, divided by lp(|Y|)
    for b, start in enumerate([A, B]):
        for k in range(K):
            out = list(ids[b, k, : lengths[b, k]])
            prefix, total = (start,), 0.0
            for y in out:
                total += math.log(model.dist(prefix)[y])
                prefix += (y,)
            n = len(out)
            if n < L:
                total += math.log(model.dist(prefix)[END])
                n += 1
            np.testing.assert_allclose(scores[b, k], total / lp(n, 0.6), rtol=1e-5)
    # the ranking is best first
    assert np.all(np.diff(scores, axis=-1) <= 0)


def test_unfinished_hypotheses_use_full_length():
    probs = np.zeros([3, V, V])  # END never
    probs[0, :, [A, B]] = [[0.7], [0.3]]
    probs[1, :, [A, B]] = [[0.6], [0.4]]
    probs[2, :, [A, B]] = [[0.8], [0.2]]
    ids, scores, lengths = decode(BeamSearchDecoder(2, 3, END, 1.0), MarkovModel(probs), [BOS])
    # AAA .7 * .6 * .8 = .336, ABA .7 * .4 * .8 = .224, next BAA .144
    np.testing.assert_array_equal(ids[0], [[A, A, A], [A, B, A]])
    np.testing.assert_array_equal(lengths[0], [3, 3])
    np.testing.assert_allclose(scores[0], log([0.336, 0.224]) / lp(3, 1.0), rtol=1e-6)


def test_beam_keeps_survivors_by_penalised_score():
    """As in GNMT the penalty ranks candidates at every step, not only at the end.

    After two steps the beam (K = 2) holds the finished [A] (P = .3, |Y| = 2)
    and BB (P = .6). At the third step BBA has P = .33 and BBB has P = .27. By raw
    log-probability [A] (-1.204) beats BBB (-1.309) and BBB is pruned; with
    alpha = 1, BBB scores -1.309 / (8/6) = -0.982 > [A]'s -1.204 / (7/6) =
    -1.032, so BBB survives and, ending next, outranks [A].
    """
    model = PrefixModel(
        {
            (BOS,): [0, 0.1, 0.3, 0.6, 0],
            (BOS, A): one_hot(END),
            (BOS, B): one_hot(B),
            (BOS, B, B): [0, 0, 0.55, 0.45, 0],
        },
        max_length=4,
    )
    ids, scores, lengths = decode(BeamSearchDecoder(2, 4, END, 1.0), model, [BOS])
    np.testing.assert_array_equal(ids[0], [[B, B, A, PAD], [B, B, B, PAD]])
    np.testing.assert_allclose(scores[0], log([0.6 * 0.55, 0.6 * 0.45]) / lp(4, 1.0), rtol=1e-6)
    np.testing.assert_array_equal(lengths[0], [3, 3])


def test_logits_need_not_be_normalised():
    model = random_markov(5, 4)

    def shifted(ids, state, t):  # log p + a constant per row: the same distribution
        logits, state = model.step_fn(ids, state, t)
        return logits + 3.0 + tf.cast(ids, tf.float32)[:, None], state

    starts = tf.constant([A, B], tf.int32)
    for decoder in (GreedyDecoder(4, END), BeamSearchDecoder(3, 4, END)):
        ref = decoder(model.step_fn, model.initial_state(2), starts)
        got = decoder(shifted, model.initial_state(2), starts)
        for x, y in zip(ref, got, strict=True):
            np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5)


# --- batches, graphs, XLA, SavedModel ----------------------------------------------


DECODERS = {
    "greedy": lambda L: GreedyDecoder(L, END),
    "beam": lambda L: BeamSearchDecoder(3, L, END, length_penalty=0.6),
}


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_batch_rows_decode_independently(name):
    L = 5
    model = random_prefix(0, L)
    decoder = DECODERS[name](L)
    starts = [A, B, B, A]
    batch = decode(decoder, model, starts)
    for b, start in enumerate(starts):
        alone = decode(decoder, model, [start])
        for x, y in zip(batch, alone, strict=True):
            np.testing.assert_allclose(x[b], y[0], rtol=1e-6)
    # the two start ids really lead to different outputs
    assert not np.array_equal(batch[0][0], batch[0][1])


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("name", sorted(DECODERS))
def test_tf_function_and_xla_match_eager(name, jit_compile):
    L = 5
    model = random_prefix(1, L)
    decoder = DECODERS[name](L)
    starts = tf.constant([A, B, A], tf.int32)
    eager = decoder(model.step_fn, model.initial_state(3), starts)

    @tf.function(jit_compile=jit_compile)
    def run(starts):
        return decoder(model.step_fn, model.initial_state(3), starts)

    graph = run(starts)
    for x, y in zip(eager, graph, strict=True):
        assert x.shape == y.shape and x.dtype == y.dtype
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5)


def test_dynamic_batch_and_max_length_in_tf_function():
    model = random_markov(2, 6)
    starts = tf.constant([A, B], tf.int32)
    static = BeamSearchDecoder(2, 4, END)(model.step_fn, model.initial_state(2), starts)

    @tf.function(
        input_signature=[tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int32)]
    )
    def run(starts, max_length):
        decoder = BeamSearchDecoder(2, max_length, END)
        return decoder(model.step_fn, model.initial_state(tf.shape(starts)[0]), starts)

    for x, y in zip(static, run(starts, tf.constant(4)), strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)


def test_saved_model_round_trip(tmp_path):
    L = 5
    probs = random_markov(3, L).probs

    class Exported(tf.Module):
        def __init__(self):
            super().__init__()
            self.table = tf.Variable(log(probs), dtype=tf.float32)
            self.decoder = BeamSearchDecoder(2, L, END)

        def step_fn(self, ids, state, t):
            return tf.gather(self.table[t], ids), state

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="starts")])
        def serve(self, starts):
            ids, scores, lengths = self.decoder(self.step_fn, None, starts)
            return {"ids": ids, "scores": scores, "lengths": lengths}

    module = Exported()
    starts = tf.constant([A, B, BOS], tf.int32)
    expected = module.serve(starts)
    tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": module.serve})
    loaded = tf.saved_model.load(str(tmp_path))
    got = loaded.signatures["serving_default"](starts=starts)
    for key in ("ids", "scores", "lengths"):
        np.testing.assert_allclose(got[key].numpy(), expected[key].numpy(), rtol=1e-6)


def test_low_precision_logits_are_scored_in_float32():
    model = random_markov(4, 5)

    def step_fn(ids, state, t):
        logits, state = model.step_fn(ids, state, t)
        return tf.cast(logits, tf.float16), state

    starts = tf.constant([A, B], tf.int32)
    ref = BeamSearchDecoder(2, 5, END)(model.step_fn, model.initial_state(2), starts)
    low = BeamSearchDecoder(2, 5, END)(step_fn, model.initial_state(2), starts)
    assert low[1].dtype == tf.float32
    np.testing.assert_array_equal(low[0].numpy(), ref[0].numpy())
    np.testing.assert_allclose(low[1].numpy(), ref[1].numpy(), rtol=1e-2)


# --- construction --------------------------------------------------------------


def test_config_round_trip():
    for decoder in (GreedyDecoder(7, 2), BeamSearchDecoder(4, 9, 1, length_penalty=1.0)):
        config = decoder.get_config()
        clone = type(decoder).from_config(config)
        assert clone.get_config() == config
    assert BeamSearchDecoder(4, 9, 1).get_config() == {
        "max_length": 9, "end_id": 1, "beam_width": 4, "length_penalty": 0.6}


@pytest.mark.parametrize(
    "make",
    [
        lambda: GreedyDecoder(0, END),
        lambda: GreedyDecoder(2.5, END),
        lambda: GreedyDecoder(5, -1),
        lambda: BeamSearchDecoder(0, 5, END),
        lambda: BeamSearchDecoder(True, 5, END),
        lambda: BeamSearchDecoder(2, 5, END, length_penalty="wu"),
    ],
)
def test_bad_arguments_are_rejected(make):
    with pytest.raises(ValueError, match="Received"):
        make()


def test_base_hook_is_abstract():
    with pytest.raises(NotImplementedError):
        model = MarkovModel(np.ones([3, V, V]) / V)
        Decoder(3, END)._search(model.step_fn, model.initial_state(1), tf.constant([A]), 1)
