"""`models.seq2seq`: shapes, teacher forcing equals step-by-step decoding,
training, serialization and XLA, for every decoder style and both encoders."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.decoding import BeamSearchDecoder, GreedyDecoder
from models.seq2seq import Seq2Seq

SOURCE = np.array([[3, 4, 5, 6], [6, 7, 0, 0], [5, 0, 0, 0]])
DECODER_INPUTS = np.array([[2, 5, 6, 7, 8], [2, 8, 4, 0, 0], [2, 9, 0, 0, 0]])
TARGETS = np.array([[5, 6, 7, 8, 3], [8, 4, 3, 0, 0], [9, 3, 0, 0, 0]])

VARIANTS = {
    "luong_general": {"attention": "luong"},
    "luong_dot_local_m": {"attention": "luong", "score": "dot", "window": "local-m",
                          "window_size": 1},
    "luong_local_p": {"attention": "luong", "window": "local-p", "window_size": 2},
    "luong_concat": {"attention": "luong", "score": "concat", "attention_units": 6},
    "bahdanau": {"attention": "bahdanau"},
    "none": {"attention": "none"},
    "transformer": {"encoder": "transformer", "heads": 2, "intermediate_dim": 16},
    "gru_deep_residual": {"cell": "gru", "encoder_layers": 2},
    "peephole_unidirectional": {"cell": "peephole_lstm", "bidirectional": False},
}


def make(name, **extra):
    model = Seq2Seq(10, 12, embedding_dim=6, units=8, **VARIANTS[name], **extra)
    model({"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS})
    return model


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_teacher_forcing_equals_stepwise_decoding(name):
    """The training loop and the decoding step are the same computation."""
    model = make(name)
    logits, alignments = model.logits_and_alignments(
        {"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS})
    assert logits.shape == (3, 5, 12) and alignments.shape == (3, 5, 4)
    state = model.initial_decoder_state(tf.constant(SOURCE))
    steps = []
    for t in range(DECODER_INPUTS.shape[1]):
        step_logits, state = model.decoder_step(tf.constant(DECODER_INPUTS[:, t]), state, t)
        steps.append(step_logits)
    np.testing.assert_allclose(np.stack(steps, 1), logits, rtol=1e-5, atol=1e-5)
    weights = np.asarray(alignments)
    assert (weights[:, :, 2:][SOURCE[:, None, 2:].repeat(5, 1) == 0] == 0).all()  # padding


@pytest.mark.parametrize("name", ["bahdanau", "luong_local_p", "none", "transformer"])
def test_trains(name):
    model = make(name)
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    inputs = {"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS}
    before = model.evaluate(inputs, TARGETS, verbose=0)
    model.fit(inputs, TARGETS, epochs=15, verbose=0)
    assert model.evaluate(inputs, TARGETS, verbose=0) < 0.7 * before


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_save_and_load(name, tmp_path):
    model = make(name)
    inputs = {"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS}
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(restored(inputs), model(inputs), rtol=1e-5, atol=1e-5)


def test_memorises_and_decodes_exactly():
    """A trained model's greedy and beam decodes reproduce its training
    targets; beam width 1 equals greedy."""
    keras.utils.set_random_seed(0)
    model = make("luong_general")
    model.compile(keras.optimizers.Adam(0.03),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    model.fit({"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS}, TARGETS, epochs=150,
              verbose=0)
    state = model.initial_decoder_state(tf.constant(SOURCE))
    start = tf.constant([2, 2, 2])
    ids, scores, lengths = GreedyDecoder(max_length=6, end_id=3)(model.decoder_step, state,
                                                                   start)
    expected = [[5, 6, 7, 8], [8, 4], [9]]
    assert [list(row[:n]) for row, n in zip(ids.numpy(), lengths.numpy(), strict=True)] \
        == expected
    beam_ids, beam_scores, beam_lengths = BeamSearchDecoder(
        1, max_length=6, end_id=3, length_penalty=0.0)(model.decoder_step, state, start)
    np.testing.assert_array_equal(beam_ids[:, 0], ids)
    np.testing.assert_allclose(beam_scores[:, 0], scores, rtol=1e-5)


def test_forward_compiles_with_xla():
    model = make("luong_local_p")
    inputs = {"graphemes": tf.constant(SOURCE), "decoder_inputs": tf.constant(DECODER_INPUTS)}
    compiled = tf.function(lambda x: model(x), jit_compile=True)
    np.testing.assert_allclose(compiled(inputs), model(inputs), rtol=1e-5, atol=1e-5)


def test_xla_fit_on_batches_of_any_length():
    """`fit(jit_compile=True)` on batches whose size and length are unknown
    while tracing, as the pipelines' padded batches are: XLA sizes a loop's
    gradient accumulators by the loop's bound, so the encoder and decoder
    loops must be bounded by the real length (`models.recurrent.loop_length`;
    the int32 maximum asked for petabytes). Same weights after training as
    without XLA."""
    def batches():  # two batches of other sizes and lengths, padding trimmed
        for rows, source, target in ((slice(0, 2), 4, 5), (slice(2, 3), 1, 2)):
            yield ({"graphemes": SOURCE[rows, :source],
                    "decoder_inputs": DECODER_INPUTS[rows, :target]}, TARGETS[rows, :target])

    spec = tf.TensorSpec([None, None], tf.int64)
    data = tf.data.Dataset.from_generator(
        batches, output_signature=({"graphemes": spec, "decoder_inputs": spec}, spec))
    trained = []
    for jit in (False, True):
        keras.utils.set_random_seed(0)
        model = make("luong_general")
        model.compile(keras.optimizers.SGD(0.5),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                 ignore_class=0),
                      jit_compile=jit)
        model.fit(data, epochs=2, verbose=0)
        trained.append(model.get_weights())
    for graph, xla in zip(*trained, strict=True):
        np.testing.assert_allclose(xla, graph, rtol=1e-4, atol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="Received"):
        Seq2Seq(10, 12, encoder="cnn")
    with pytest.raises(ValueError, match="Received"):
        Seq2Seq(10, 12, attention="monotonic")


# --- scheduled sampling (Bengio et al. 2015) -------------------------------------------


def test_scheduled_sampling_at_probability_0_is_teacher_forcing():
    plain, sampled = make("luong_general"), make("luong_general", scheduled_sampling=True)
    others = [w for w in sampled.weights if "sampling_probability" not in w.path]
    for weight, value in zip(others, plain.weights, strict=True):
        weight.assign(value)
    inputs = {"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS}
    np.testing.assert_allclose(sampled(inputs, training=True), plain(inputs, training=True),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["luong_general", "bahdanau"])
def test_scheduled_sampling_at_probability_1_feeds_the_models_own_tokens(name):
    """With every previous token drawn from a near-one-hot output distribution,
    training reads exactly what greedy decoding reads."""
    model = make(name, scheduled_sampling=True)
    output = model.decoder.output_layer
    output.kernel.assign(output.kernel * 1e7)  # top-2 logit gaps of hundreds: sampling = argmax
    model.decoder.sampling_probability.assign(1.0)
    logits = np.asarray(model({"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS},
                              training=True))
    state = model.initial_decoder_state(tf.constant(SOURCE))
    ids, steps = tf.constant(DECODER_INPUTS[:, 0]), []
    for t in range(DECODER_INPUTS.shape[1]):
        step_logits, state = model.decoder_step(ids, state, t)
        steps.append(step_logits)
        ids = tf.argmax(step_logits, -1, output_type=tf.int32)
    np.testing.assert_allclose(np.stack(steps, 1), logits, rtol=1e-4, atol=1e-2)


def test_scheduled_sampling_round_trips_and_trains():
    model = make("luong_general", scheduled_sampling=True)
    model.decoder.sampling_probability.assign(0.5)
    restored = Seq2Seq.from_config(model.get_config())
    assert restored.scheduled_sampling and restored.decoder.scheduled_sampling
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    inputs = {"graphemes": SOURCE, "decoder_inputs": DECODER_INPUTS}
    history = model.fit(inputs, TARGETS, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
