"""Numerical and contract tests of `models.transformer`.

The position encoding is checked against a loop transcription of Vaswani
et al. (2017) section 3.5, the encoder block against a NumPy transcription
of equations (1)-(2) with layer norms, run on the block's own weights.
"""

import copy
import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.transformer import SinePositionEncoding, TransformerEncoderBlock

B, T, D, H, FF = 3, 5, 8, 2, 16


def inputs(seed=0, shape=(B, T, D)):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def padding(lengths=(5, 3, 1), time=T):
    """`[batch, time]` bool, True at the first `length` steps of each row."""
    return np.arange(time)[None, :] < np.asarray(lengths)[:, None]


# ------------------------------------------------------ NumPy references
def sine_encoding_reference(time, d, start=0, max_wavelength=10000.0):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...)."""
    pe = np.zeros((time, d))
    for pos in range(start, start + time):
        for j in range(d):
            i = j // 2
            angle = pos / max_wavelength ** (2 * i / d)
            pe[pos - start, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return pe


def layer_norm(x, gamma, beta, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def multi_head_self_attention(x, w, num_heads, mask=None):
    """Eq. (1) per head, concatenated and projected by W^O (section 3.2.2).

    `w` holds the Keras MultiHeadAttention layout: query/key/value kernels
    `[d, h, d_k]` and biases `[h, d_k]`, output kernel `[h, d_k, d]`.
    """
    heads = []
    for j in range(num_heads):
        q = x @ w["query/kernel"][:, j] + w["query/bias"][j]  # [B, T, d_k]
        k = x @ w["key/kernel"][:, j] + w["key/bias"][j]
        v = x @ w["value/kernel"][:, j] + w["value/bias"][j]
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])  # [B, T, T]
        if mask is not None:
            scores = np.where(mask[:, None, :], scores, -np.inf)
        heads.append(softmax(scores) @ v)
    concat = np.concatenate(heads, axis=-1)  # [B, T, h * d_k]
    w_o = w["attention_output/kernel"].reshape(concat.shape[-1], -1)  # [h * d_k, d]
    return concat @ w_o + w["attention_output/bias"]


def encoder_block_reference(x, w, num_heads, normalize_first, phi, eps=1e-5, mask=None):
    """Post-norm: LayerNorm(x + Sublayer(x)); pre-norm: x + Sublayer(LayerNorm(x))."""
    attn = {k.split("/", 1)[1]: v for k, v in w.items() if k.startswith("self_attention/")}

    def ln(name, y):
        return layer_norm(y, w[f"{name}/gamma"], w[f"{name}/beta"], eps)

    def ffn(y):  # eq. (2)
        hidden = phi(y @ w["feedforward_intermediate_dense/kernel"]
                     + w["feedforward_intermediate_dense/bias"])
        return hidden @ w["feedforward_output_dense/kernel"] + w["feedforward_output_dense/bias"]

    if normalize_first:
        y = x + multi_head_self_attention(ln("self_attention_layer_norm", x), attn, num_heads, mask)
        return y + ffn(ln("feedforward_layer_norm", y))
    y = ln("self_attention_layer_norm", x + multi_head_self_attention(x, attn, num_heads, mask))
    return ln("feedforward_layer_norm", y + ffn(y))


def built_block(seed=1, **kwargs):
    """A block built on `[B, T, D]` with random values in every weight."""
    kwargs = {"num_heads": H, "intermediate_dim": FF, **kwargs}
    block = TransformerEncoderBlock(**kwargs)
    block.build((B, T, D))
    rng = np.random.default_rng(seed)
    block.set_weights([rng.normal(scale=0.5, size=w.shape) for w in block.get_weights()])
    return block


def weights_by_name(block):
    """`{"self_attention/query/kernel": array, ...}` from the weight paths."""
    return {w.path.split("/", 1)[1]: np.array(w, dtype="float64") for w in block.weights}


# -------------------------------------------------- SinePositionEncoding
@pytest.mark.parametrize("d", [6, 5])
def test_sine_position_encoding_matches_formula(d):
    x = inputs(shape=(2, 7, d))
    pe = np.asarray(SinePositionEncoding()(x))
    assert pe.shape == (2, 7, d)
    expected = sine_encoding_reference(7, d)
    np.testing.assert_allclose(pe[0], expected, atol=1e-5)
    np.testing.assert_allclose(pe[1], expected, atol=1e-5)


def test_sine_position_encoding_start_index_and_wavelength():
    x = inputs(shape=(1, 4, 6))
    pe = np.asarray(SinePositionEncoding(max_wavelength=100)(x, start_index=3))
    np.testing.assert_allclose(pe[0], sine_encoding_reference(4, 6, 3, 100.0), atol=1e-5)


def test_sine_position_encoding_dynamic_length():
    layer = SinePositionEncoding()
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, None, 4], tf.float32)])
    for time in (3, 9):
        pe = np.asarray(fn(tf.zeros((2, time, 4))))
        np.testing.assert_allclose(pe[1], sine_encoding_reference(time, 4), atol=1e-5)


def test_sine_position_encoding_bfloat16_positions_stay_exact():
    """bfloat16 holds integers exactly only up to 256: angles are float32."""
    keras.config.set_dtype_policy("mixed_bfloat16")
    pe = SinePositionEncoding()(np.zeros((1, 600, 4), "float32"))
    assert pe.dtype == "bfloat16"
    np.testing.assert_allclose(
        np.asarray(pe, "float32")[0], sine_encoding_reference(600, 4), atol=8e-3
    )


def test_sine_position_encoding_config_and_mask():
    layer = SinePositionEncoding(max_wavelength=500, name="pe")
    config = layer.get_config()
    assert config["max_wavelength"] == 500
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is SinePositionEncoding and restored.get_config() == config
    mask = padding()
    assert np.array_equal(np.asarray(layer.compute_mask(inputs(), mask)), mask)
    with pytest.raises(ValueError, match="max_wavelength"):
        SinePositionEncoding(max_wavelength=0)


# ----------------------------------------------- TransformerEncoderBlock
@pytest.mark.parametrize(
    "normalize_first, activation, phi",
    [(False, "relu", lambda z: np.maximum(z, 0.0)), (True, "tanh", np.tanh)],
    ids=["post_norm_relu", "pre_norm_tanh"],
)
@pytest.mark.parametrize("masked", [False, True], ids=["full", "padded"])
def test_encoder_block_matches_numpy(normalize_first, activation, phi, masked):
    block = built_block(normalize_first=normalize_first, activation=activation)
    x = inputs()
    mask = padding() if masked else None
    y = np.asarray(block(x, padding_mask=mask))
    expected = encoder_block_reference(
        x.astype("float64"), weights_by_name(block), H, normalize_first, phi, mask=mask
    )
    if masked:  # outputs at padded steps are unspecified
        y, expected = y[mask], expected[mask]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("normalize_first", [False, True])
def test_padded_steps_do_not_influence_real_steps(normalize_first):
    block = built_block(normalize_first=normalize_first)
    mask = padding()
    x = inputs(0)
    x_other = np.where(mask[..., None], x, inputs(7) * 10.0)  # new values at padded steps
    y = np.asarray(block(x, padding_mask=mask))
    y_other = np.asarray(block(x_other, padding_mask=mask))
    np.testing.assert_allclose(y_other[mask], y[mask], atol=1e-6)
    # Without the mask the same change does reach the real steps.
    y_unmasked = np.asarray(block(x_other))
    assert not np.allclose(y_unmasked[mask], y[mask], atol=1e-3)


def test_keras_mask_from_embedding_is_honoured():
    """Embedding(mask_zero) -> position code -> block -> masked pooling: trailing
    padding gives the same result as the unpadded sequence."""
    tokens = keras.Input((None,), dtype="int32")
    embedding = keras.layers.Embedding(20, D, mask_zero=True)(tokens)
    x = keras.layers.Add()([embedding, SinePositionEncoding()(embedding)])
    x = TransformerEncoderBlock(H, FF)(x)
    pooled = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(tokens, [x, pooled])
    short = np.array([[3, 5, 7]])
    padded = np.array([[3, 5, 7, 0, 0]])
    seq_short, pooled_short = (np.asarray(t) for t in model(short))
    seq_padded, pooled_padded = (np.asarray(t) for t in model(padded))
    np.testing.assert_allclose(seq_padded[:, :3], seq_short, atol=1e-5)
    np.testing.assert_allclose(pooled_padded, pooled_short, atol=1e-5)


def test_keras_mask_equals_padding_mask():
    block = built_block()
    ids = np.array([[4, 2, 9, 1, 3], [5, 6, 0, 0, 0], [8, 0, 0, 0, 0]])
    embedding = keras.layers.Embedding(10, D, mask_zero=True)
    x = embedding(ids)  # eager tensor carrying the Keras mask
    mask = ids != 0
    y_keras_mask = np.asarray(block(x))
    y_padding_mask = np.asarray(block(np.asarray(x), padding_mask=mask))
    y_mask_argument = np.asarray(block(np.asarray(x), mask=mask))
    y_no_mask = np.asarray(block(np.asarray(x)))
    np.testing.assert_allclose(y_keras_mask[mask], y_padding_mask[mask], atol=1e-6)
    np.testing.assert_allclose(y_mask_argument[mask], y_padding_mask[mask], atol=1e-6)
    assert not np.allclose(y_no_mask[mask], y_padding_mask[mask], atol=1e-3)


def test_encoder_block_contract():
    """Config round trip, serialization, shape, weight count, copied weights."""
    block = TransformerEncoderBlock(
        H, FF, dropout=0.1, activation="gelu", layer_norm_epsilon=1e-6, normalize_first=True,
        kernel_initializer="he_normal", bias_initializer="ones", kernel_regularizer="l2",
        bias_regularizer="l1", activity_regularizer="l2", name="block",
    )
    config = block.get_config()
    arguments = set(inspect.signature(TransformerEncoderBlock).parameters) - {"kwargs"}
    assert arguments | {"activity_regularizer"} <= set(config)
    assert config["normalize_first"] is True and config["activation"] == "gelu"
    clone = TransformerEncoderBlock.from_config(copy.deepcopy(config))
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(block))
    assert type(restored) is TransformerEncoderBlock and restored.get_config() == config

    x = inputs()
    y = np.asarray(block(x))
    assert y.shape == (B, T, D)
    assert len(block.trainable_weights) == 16 and not block.non_trainable_weights
    restored(x)
    restored.set_weights(block.get_weights())
    np.testing.assert_allclose(np.asarray(restored(x)), y, atol=1e-6)


@pytest.mark.parametrize(
    "zeroed, dropped",
    [
        # Values 0: attention returns b^O whatever the weights; FFN returns 0.
        (("self_attention/value/", "feedforward_output_dense/"), "self_attention_dropout"),
        # Attention returns 0: the only random part is the FFN output.
        (("self_attention/attention_output/",), "feedforward_dropout"),
    ],
)
def test_dropout_on_each_sublayer_output(zeroed, dropped):
    """Residual dropout (section 5.4) on each sublayer output, in training only."""
    block = built_block(dropout=0.5)
    for w in block.weights:
        if any(w.path.split("/", 1)[1].startswith(prefix) for prefix in zeroed):
            w.assign(np.zeros(w.shape))
    x = inputs()
    y = np.asarray(block(x))
    np.testing.assert_allclose(np.asarray(block(x, training=False)), y)
    assert not np.allclose(np.asarray(block(x, training=True)), y), f"{dropped} is not applied"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_heads": 0, "intermediate_dim": 4}, "num_heads"),
        ({"num_heads": 2, "intermediate_dim": 0}, "intermediate_dim"),
        ({"num_heads": 2, "intermediate_dim": 4, "dropout": 1.0}, "dropout"),
        ({"num_heads": 2, "intermediate_dim": 4, "layer_norm_epsilon": 0}, "layer_norm_epsilon"),
    ],
)
def test_encoder_block_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransformerEncoderBlock(**kwargs)


def test_encoder_block_rejects_width_below_heads():
    with pytest.raises(ValueError, match="num_heads"):
        TransformerEncoderBlock(num_heads=4, intermediate_dim=4)(inputs(shape=(1, 2, 3)))


def test_encoder_block_jit_compile():
    block = built_block()
    x, mask = inputs(), padding()
    compiled = tf.function(lambda x, m: block(x, padding_mask=m), jit_compile=True)
    np.testing.assert_allclose(
        np.asarray(compiled(x, mask))[mask], np.asarray(block(x, padding_mask=mask))[mask],
        atol=1e-5,
    )


@pytest.mark.parametrize("how", ["global_policy", "dtype_argument"])
def test_encoder_block_mixed_bfloat16(how):
    """Every sublayer computes in bfloat16, whether the policy is global or
    given to the block alone (sublayers get `dtype=self.dtype_policy`)."""
    reference = built_block()
    if how == "global_policy":
        keras.config.set_dtype_policy("mixed_bfloat16")
        block = TransformerEncoderBlock(H, FF)
    else:
        block = TransformerEncoderBlock(H, FF, dtype="mixed_bfloat16")
    block.build((B, T, D))
    assert block.compute_dtype == "bfloat16" and block.variable_dtype == "float32"
    for sublayer in block._flatten_layers(include_self=False, recursive=True):
        assert sublayer.compute_dtype == "bfloat16", sublayer.name
    block.set_weights(reference.get_weights())
    x, mask = inputs(), padding()
    y = block(x, padding_mask=mask)
    assert y.dtype == "bfloat16"
    np.testing.assert_allclose(
        np.asarray(y, "float32")[mask], np.asarray(reference(x, padding_mask=mask))[mask],
        atol=0.1,
    )


def test_classifier_trains_one_step():
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(12, D, mask_zero=True)(tokens)
    x = keras.layers.Add()([x, SinePositionEncoding()(x)])
    block = TransformerEncoderBlock(H, FF, dropout=0.1)
    x = block(x)
    outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(tokens, outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 12, size=(4, 6)) * padding((6, 4, 2, 5), time=6)
    labels = np.array([0, 1, 2, 1])
    before = {w.path: np.array(w) for w in block.trainable_weights}
    loss = model.train_on_batch(ids, labels)
    assert np.isfinite(loss)
    for w in block.trainable_weights:
        if w.path.endswith("key/bias"):
            # q . (k + b_k) shifts all scores of a query equally; softmax ignores it.
            np.testing.assert_allclose(np.array(w), before[w.path], atol=1e-6)
        else:
            assert not np.allclose(np.array(w), before[w.path]), f"{w.path} did not train"
