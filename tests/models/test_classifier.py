"""`models.classifier.TextClassifier` and `AttentionPooling`: the pooling
against a NumPy transcription of its equations (Yang et al. 2016, section
2.2), padding invariance, training, serialization, XLA, mixed precision and
MirroredStrategy, for both poolings."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.attention.attention_pooling import AttentionPooling
from models.classifier import TextClassifier
from tests.layer_test import run_layer_test

B, T, D, U = 3, 5, 4, 3
LENGTHS = np.array([5, 2, 0])  # row 2 has no real position at all
MASK = np.arange(T)[None, :] < LENGTHS[:, None]  # [B, T]

IDS = np.array([[3, 4, 5, 6], [6, 7, 0, 0], [5, 0, 0, 0]])
LABELS = np.array([0, 1, 2])


def numpy_pooling(h, mask, kernel, bias, context):
    """u_t = tanh(W h_t + b); a_t = softmax_t(u_t . u_w) over real t; s = sum_t a_t h_t,
    written position by position."""
    pooled, weights = np.zeros((h.shape[0], h.shape[2])), np.zeros(h.shape[:2])
    for b in range(h.shape[0]):
        real = [t for t in range(h.shape[1]) if mask[b, t]]
        scores = {t: np.tanh(h[b, t] @ kernel + bias) @ context[:, 0] for t in real}
        top = max(scores.values(), default=0.0)
        total = sum(np.exp(s - top) for s in scores.values())
        for t in real:
            weights[b, t] = np.exp(scores[t] - top) / total
            pooled[b] += weights[b, t] * h[b, t]
    return pooled, weights


def test_attention_pooling_layer_contract():
    run_layer_test(lambda: AttentionPooling(U), (2, T, D), (2, D),
                   expected_trainable_weights=3)


def test_attention_pooling_matches_numpy():
    layer = AttentionPooling(U)
    h = np.random.default_rng(0).normal(size=(B, T, D)).astype("float32")
    layer.build(h.shape)
    layer.set_weights([np.random.default_rng(i).normal(size=w.shape).astype("float32")
                       for i, w in enumerate(layer.get_weights())])
    pooled, weights = layer(h, mask=MASK)
    expected_pooled, expected_weights = numpy_pooling(h, MASK, *layer.get_weights())
    np.testing.assert_allclose(weights, expected_weights, atol=1e-6)
    np.testing.assert_allclose(pooled, expected_pooled, atol=1e-5)
    assert np.all(np.asarray(weights)[~MASK] == 0.0)  # padding gets exactly 0
    assert np.all(np.asarray(pooled)[2] == 0.0)  # an empty row pools to zero, no NaN


def test_attention_pooling_rejects_bad_units():
    with pytest.raises(ValueError, match="units=0"):
        AttentionPooling(0)


def make(pooling, **extra):
    keras.utils.set_random_seed(1)
    model = TextClassifier(10, 3, embedding_dim=6, units=4, pooling=pooling, **extra)
    model(IDS)
    return model


@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_padding_does_not_change_the_answer(pooling):
    """Extra padding columns are masked: same logits as the tight batch, and
    each row alone equals the row in the batch."""
    model = make(pooling, num_layers=2)
    logits = np.asarray(model(IDS))
    assert logits.shape == (3, 3) and logits.dtype == np.float32
    padded = np.concatenate([IDS, np.zeros((3, 4), "int64")], axis=1)
    np.testing.assert_allclose(model(padded), logits, atol=1e-5)
    np.testing.assert_allclose(model(IDS[1:2, :2]), logits[1:2], atol=1e-5)
    _, weights = model.logits_and_weights(IDS)
    if pooling == "last":
        assert weights is None
    else:
        assert np.all(np.asarray(weights)[IDS == 0] == 0.0)


def test_last_pooling_is_the_final_states_of_both_directions():
    """`pooling="last"` reads the forward state at the last real token and
    the backward state at the first: the same as running each direction over
    the unpadded tokens."""
    model = make("last")
    pooled, _ = model.pool(IDS[1:2])  # tokens [6, 7] and two pads
    layer = model.encoder.layers[0]  # Bidirectional
    x = model.embedding(IDS[1:2, :2])  # [1, 2, E]
    _, h_forward, _ = layer.forward_layer(x)
    _, h_backward, _ = layer.backward_layer(x)
    np.testing.assert_allclose(pooled, np.concatenate([h_forward, h_backward], -1), atol=1e-6)


def loss(model):
    return float(keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
        LABELS, model(IDS), from_logits=True)))


def test_trains():
    """Attention pooling (the default) fits three texts; the training of
    `"last"` is checked by its gradients in the XLA test."""
    model = make("attention")
    model.compile(keras.optimizers.Adam(0.05),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = loss(model)
    model.fit(IDS, LABELS, epochs=15, verbose=0)
    assert loss(model) < 0.5 * before
    assert (np.asarray(model(IDS)).argmax(1) == LABELS).all()


@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_save_and_load(pooling, tmp_path):
    model = make(pooling, cell="gru")
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = keras.saving.load_model(path, compile=False)
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored(IDS), model(IDS), atol=1e-6)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="pooling=mean"):
        TextClassifier(10, 3, pooling="mean")
    with pytest.raises(ValueError, match="num_classes=1"):
        TextClassifier(10, 1)


def test_xla_forward_and_backward_match_eager():
    """Pooling "last": XLA gives the eager logits, and the gradient reaches
    every weight through the final states."""
    model = make("last")
    ids = tf.constant(IDS)

    @tf.function(jit_compile=True)
    def step(ids):
        with tf.GradientTape() as tape:
            logits = model(ids, training=False)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                LABELS, logits, from_logits=True))
        return logits, tape.gradient(loss, model.trainable_variables)

    logits, grads = step(ids)
    np.testing.assert_allclose(logits, model(IDS), atol=1e-5)
    for g, w in zip(grads, model.trainable_variables, strict=True):
        g = np.asarray(tf.convert_to_tensor(g))
        assert np.isfinite(g).all() and np.abs(g).max() > 0, w.path


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    """16-bit compute with float32 logits, close to the float32 model (one
    training step under both policies is tested for `Recurrent`)."""
    reference = make("attention")
    keras.config.set_dtype_policy(policy)
    model = make("attention")
    model.set_weights(reference.get_weights())
    assert model.encoder.compute_dtype == policy.removeprefix("mixed_")
    logits = model(IDS)
    assert logits.dtype == "float32"  # the last layer computes in float32
    np.testing.assert_allclose(logits, reference(IDS), atol=0.05)


def test_mirrored_strategy_trains_like_one_device(mirrored):
    def losses(strategy):
        with strategy.scope():
            model = make("attention")
            # SGD: Adam's first step is ~lr * sign(g), which flips for gradients
            # that are zero up to rounding and so differ between the two sums.
            model.compile(keras.optimizers.SGD(0.5),
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return [float(model.train_on_batch(ids, labels)) for _ in range(2)]

    ids, labels = np.concatenate([IDS, IDS[:1]]), np.concatenate([LABELS, LABELS[:1]])  # B = 4

    np.testing.assert_allclose(losses(mirrored), losses(tf.distribute.get_strategy()),
                               rtol=1e-4)


# ------------------------------------------------------ hashed n-gram features
GRAMS = np.array([[[1, 2], [3, 4], [5, 6], [7, 8]], [[2, 2], [4, 1], [0, 0], [0, 0]],
                  [[9, 9], [0, 0], [0, 0], [0, 0]]])  # [B, S, 2]: orders 2 and 3
NGRAM_INPUTS = np.concatenate([IDS[..., None], GRAMS], axis=-1)  # [B, S, 3]


def make_ngram():
    keras.utils.set_random_seed(1)
    model = TextClassifier(10, 3, embedding_dim=6, units=4, ngram_order=3, ngram_buckets=10)
    model(NGRAM_INPUTS)
    return model


def test_ngram_features_add_their_embeddings_to_the_token_embedding():
    """Each position's input is its token embedding plus the embeddings of
    its n-grams (Bojanowski et al. 2017, section 3.2), written out by hand;
    the mask follows the token ids."""
    model = make_ngram()
    x, mask = model.embed(NGRAM_INPUTS)
    table, grams = model.embedding.embeddings.numpy(), model.ngram_embedding.embeddings.numpy()
    expected = table[IDS] + grams[GRAMS[..., 0]] + grams[GRAMS[..., 1]]  # [B, S, E]
    np.testing.assert_allclose(x, expected, atol=1e-6)
    np.testing.assert_array_equal(mask, IDS != 0)
    padded = np.concatenate([NGRAM_INPUTS, np.zeros((3, 2, 3), "int64")], axis=1)
    np.testing.assert_allclose(model(padded), model(NGRAM_INPUTS), atol=1e-5)


def test_ngram_model_saves_loads_and_compiles_with_xla(tmp_path):
    model = make_ngram()
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = keras.saving.load_model(path, compile=False)
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored(NGRAM_INPUTS), model(NGRAM_INPUTS), atol=1e-6)
    xla = tf.function(lambda x: model(x), jit_compile=True)
    np.testing.assert_allclose(xla(tf.constant(NGRAM_INPUTS)), model(NGRAM_INPUTS), atol=1e-5)
    with pytest.raises(ValueError, match="ngram_buckets=0"):
        TextClassifier(10, 3, ngram_order=3, ngram_buckets=0)
