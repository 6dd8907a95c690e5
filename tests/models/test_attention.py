"""Numerical and contract tests of `models.attention`.

Every layer is checked against a NumPy transcription of its equations
(Beigy, "Deep learning: Recurrent neural networks", slides 62-66 and 72-74; Bahdanau et al. 2015 eq.
(6); Luong et al. 2015 eqs. (7)-(10)), written loop by loop from the slides, not from the
layers: one score per (target step, source position) pair, the window and
the Gaussian position by position.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.attention import Attention, BahdanauAttention, LuongAttention

B, TQ, S, DQ, DV, U = 2, 3, 5, 4, 6, 3
LENGTHS = np.array([5, 3])  # true source lengths; batch row 1 is right-padded
MASK = np.arange(S)[None, :] < LENGTHS[:, None]  # [B, S]

# name: (class, constructor arguments, trainable weight names)
CONFIGS = {
    "bahdanau": (BahdanauAttention, {"units": U}, {"query_kernel", "key_kernel", "v"}),
    "bahdanau_bias": (
        BahdanauAttention,
        {"units": U, "use_bias": True},
        {"query_kernel", "key_kernel", "v", "bias"},
    ),
    "dot": (LuongAttention, {"score": "dot"}, set()),
    "general": (LuongAttention, {"score": "general"}, {"kernel"}),
    "concat": (
        LuongAttention,
        {"score": "concat", "units": U},
        {"query_kernel", "key_kernel", "v"},
    ),
    # max_source_length 4 < S = 5: position 4 has no logit and must get weight 0.
    "location": (LuongAttention, {"score": "location", "max_source_length": 4},
                 {"location_kernel"}),
    "scaled_dot": (LuongAttention, {"score": "scaled_dot"}, set()),
    "general_local_m": (LuongAttention, {"score": "general", "window": "local-m", "D": 1},
                        {"kernel"}),
    "location_local_m": (
        LuongAttention,
        {"score": "location", "window": "local-m", "D": 1, "max_source_length": 7},
        {"location_kernel"},
    ),
    "dot_local_p": (LuongAttention, {"score": "dot", "window": "local-p", "D": 1},
                    {"position_kernel", "position_v"}),
    "concat_local_p": (
        LuongAttention,
        {"score": "concat", "window": "local-p", "D": 2, "units": U},
        {"query_kernel", "key_kernel", "v", "position_kernel", "position_v"},
    ),
}
NORMALISED = [n for n in CONFIGS if not n.endswith("local_p")]  # global, local-m, Bahdanau
LOCAL = [n for n in CONFIGS if "local" in n]
LOCAL_P = [n for n in CONFIGS if n.endswith("local_p")]


def values_dim(name):
    """dot and scaled_dot compare h_t with h_s, so they need dv = dq."""
    return DQ if CONFIGS[name][1].get("score") in ("dot", "scaled_dot") else DV


def make(name, seed=1, scale=0.7):
    """A built layer of config `name` with random weights."""
    cls, kwargs, _ = CONFIGS[name]
    layer = cls(**kwargs)
    layer.build((None, None, DQ), (None, None, values_dim(name)))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=scale, size=w.shape) for w in layer.get_weights()])
    return layer


def data(name, seed=0, tq=TQ):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(B, tq, DQ)).astype("float32")
    values = rng.normal(size=(B, S, values_dim(name))).astype("float32")
    return query, values


def weights_of(layer):
    return {w.name: np.asarray(w, dtype="float64") for w in layer.weights}


def np_(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


# -------------------------------------------------------- NumPy reference
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference_score(name, W, h_t, h_s, s):
    """score(h_t, h_s) of one pair, as on slides 63 and 66."""
    cls, kwargs, _ = CONFIGS[name]
    if cls is BahdanauAttention:
        # v^T tanh(W_1 s + W_2 h [+ b]), Bahdanau et al. appendix A.1.2
        hidden = h_t @ W["query_kernel"] + h_s @ W["key_kernel"] + W.get("bias", 0.0)
        return W["v"] @ np.tanh(hidden)
    score = kwargs["score"]
    if score == "dot":
        return h_t @ h_s
    if score == "scaled_dot":
        return h_t @ h_s / np.sqrt(len(h_s))
    if score == "general":
        W_a = W["kernel"].T  # [dq, dv]
        return h_t @ W_a @ h_s
    if score == "concat":
        W_a = np.concatenate([W["query_kernel"], W["key_kernel"]])  # acts on [h_t; h_s]
        return W["v"] @ np.tanh(np.concatenate([h_t, h_s]) @ W_a)
    if score == "location":
        return (h_t @ W["location_kernel"])[s]  # a_t = softmax(W_a h_t), entry s
    raise AssertionError(score)


def reference(name, layer, query, values, lengths, positions):
    """(context [B, Tq, dv], weights [B, Tq, S]) by the slide equations.

    `positions` [B, Tq] are the target steps t; `lengths` [B] the true
    source lengths.
    """
    _, kwargs, _ = CONFIGS[name]
    W = weights_of(layer)
    query, values = np.float64(query), np.float64(values)
    window, D = kwargs.get("window", "global"), kwargs.get("D")
    batch, tq, _ = query.shape
    weights = np.zeros((batch, tq, values.shape[1]))
    for b in range(batch):
        for t in range(tq):
            h_t = query[b, t]
            allowed = [s for s in range(values.shape[1]) if s < lengths[b]]
            if kwargs.get("score") == "location":
                allowed = [s for s in allowed if s < kwargs["max_source_length"]]
            if window == "local-m":
                p_t = positions[b, t]  # monotonic: p_t = t
            elif window == "local-p":  # eq. (9)
                p_t = lengths[b] * sigmoid(W["position_v"] @ np.tanh(h_t @ W["position_kernel"]))
            if window != "global":
                allowed = [s for s in allowed if p_t - D <= s <= p_t + D]
            if not allowed:
                continue
            e = np.array([reference_score(name, W, h_t, values[b, s], s) for s in allowed])
            a = np.exp(e - e.max()) / np.exp(e - e.max()).sum()  # eq. (7), slide 62
            if window == "local-p":  # eq. (10), sigma = D / 2, not renormalised
                a = a * np.exp(-((np.array(allowed) - p_t) ** 2) / (2 * (D / 2) ** 2))
            weights[b, t, allowed] = a
    context = np.einsum("bts,bsd->btd", weights, values)  # c_t = sum_s a_t(s) h_s
    return context, weights


# ------------------------------------------------------------- numerics
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_all_steps_match_reference(name):
    layer = make(name)
    query, values = data(name)
    context, weights = layer(query, values, mask=MASK)
    positions = np.tile(np.arange(TQ), (B, 1))
    ref_context, ref_weights = reference(name, layer, query, values, LENGTHS, positions)
    assert weights.shape == (B, TQ, S) and context.shape == (B, TQ, values.shape[-1])
    np.testing.assert_allclose(np_(weights), ref_weights, atol=1e-5)
    np.testing.assert_allclose(np_(context), ref_context, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_single_step_matches_reference(name):
    layer = make(name)
    query, values = data(name, seed=2, tq=1)
    positions = np.array([2, 1])
    context, weights = layer(query[:, 0], values, mask=MASK, query_positions=positions)
    ref_context, ref_weights = reference(name, layer, query, values, LENGTHS, positions[:, None])
    assert weights.shape == (B, S) and context.shape == (B, values.shape[-1])
    np.testing.assert_allclose(np_(weights), ref_weights[:, 0], atol=1e-5)
    np.testing.assert_allclose(np_(context), ref_context[:, 0], atol=1e-5)


def test_without_mask_every_position_counts():
    name = "general_local_m"
    layer = make(name)
    query, values = data(name)
    context, weights = layer(query, values)
    positions = np.tile(np.arange(TQ), (B, 1))
    ref_context, ref_weights = reference(name, layer, query, values, [S, S], positions)
    np.testing.assert_allclose(np_(weights), ref_weights, atol=1e-5)
    np.testing.assert_allclose(np_(context), ref_context, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_single_step_equals_row_of_all_steps_and_keys_can_be_precomputed(name):
    layer = make(name)
    query, values = data(name, seed=3)
    context, weights = layer(query, values, mask=MASK)
    keys = layer.process_keys(values)
    context_k, weights_k = layer(query, values, mask=MASK, keys=keys)
    np.testing.assert_allclose(np_(weights_k), np_(weights), atol=1e-6)
    np.testing.assert_allclose(np_(context_k), np_(context), atol=1e-6)
    if CONFIGS[name][1].get("score") != "location":  # location scores ignore the keys
        _, weights_other = layer(query, values, mask=MASK, keys=keys[::-1])
        assert not np.allclose(np_(weights_other), np_(weights))  # `keys` is what is scored
    for t in range(TQ):
        positions = np.full((B,), t)
        for kw in ({}, {"keys": keys}):
            c_t, a_t = layer(query[:, t], values, mask=MASK, query_positions=positions, **kw)
            np.testing.assert_allclose(np_(a_t), np_(weights)[:, t], atol=1e-6)
            np.testing.assert_allclose(np_(c_t), np_(context)[:, t], atol=1e-6)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_padding_is_ignored(name):
    """Masked weights are exactly 0 and padded values change nothing."""
    layer = make(name)
    query, values = data(name)
    context, weights = layer(query, values, mask=MASK)
    assert np.all(np_(weights)[~np.broadcast_to(MASK[:, None], weights.shape)] == 0.0)
    noisy = values.copy()
    noisy[~MASK] = 100.0
    context2, weights2 = layer(query, noisy, mask=MASK)
    np.testing.assert_allclose(np_(weights2), np_(weights), atol=1e-6)
    np.testing.assert_allclose(np_(context2), np_(context), atol=1e-6)


@pytest.mark.parametrize("name", NORMALISED)
def test_weights_sum_to_one(name):
    """Global, local-m and Bahdanau: a distribution over the allowed positions."""
    layer = make(name)
    query, values = data(name, seed=4)
    _, weights = layer(query, values, mask=MASK)
    np.testing.assert_allclose(np_(weights).sum(-1), 1.0, atol=1e-6)
    assert np.all(np_(weights) >= 0.0)


@pytest.mark.parametrize("name", LOCAL)
def test_local_weights_vanish_outside_window(name):
    D = CONFIGS[name][1]["D"]
    layer = make(name)
    query, values = data(name, seed=5)
    _, weights = layer(query, values, mask=MASK)
    positions = np.tile(np.arange(TQ), (B, 1))
    p_t = np_(layer.aligned_positions(query, positions, LENGTHS))[..., None]  # [B, Tq, 1]
    if name.endswith("local_m"):
        np.testing.assert_array_equal(p_t[..., 0], positions)  # p_t = t
    outside = np.abs(np.arange(S) - p_t) > D  # [B, Tq, S]
    assert outside.any() and np.all(np_(weights)[outside] == 0.0)
    assert np.all(np_(weights)[~outside & MASK[:, None]] > 0.0)


@pytest.mark.parametrize("name", LOCAL_P)
def test_local_p_is_window_softmax_times_gaussian(name):
    """Eq. (10): softmax restricted to the window times exp(-(s-p_t)^2 / 2 sigma^2),
    sigma = D/2, from the layer's own scores; not renormalised."""
    D = CONFIGS[name][1]["D"]
    layer = make(name)
    query, values = data(name, seed=6)
    _, weights = layer(query, values, mask=MASK)
    scores = np_(layer.score(query, layer.process_keys(values)))  # [B, Tq, S]
    positions = np.tile(np.arange(TQ), (B, 1))
    p_t = np_(layer.aligned_positions(query, positions, LENGTHS))[..., None]
    inside = (np.abs(np.arange(S) - p_t) <= D) & MASK[:, None]
    e = np.where(inside, np.exp(scores - scores.max(-1, keepdims=True)), 0.0)
    softmax = e / e.sum(-1, keepdims=True)
    gaussian = np.exp(-((np.arange(S) - p_t) ** 2) / (2 * (D / 2) ** 2))
    np.testing.assert_allclose(np_(weights), softmax * gaussian, atol=1e-6)
    assert np.all(np_(weights).sum(-1) < 1.0)  # the Gaussian is not renormalised


@pytest.mark.parametrize("scale", [0.5, 30.0])
def test_local_p_position_within_source(scale):
    """p_t = S sigmoid(.) lies in [0, S], S the true length; saturates at the ends."""
    layer = make("concat_local_p", seed=7, scale=scale)
    query = np.random.default_rng(8).normal(size=(B, 16, DQ)).astype("float32")
    positions = np.tile(np.arange(16), (B, 1))
    p_t = np_(layer.aligned_positions(query, positions, LENGTHS))  # [B, Tq]
    assert np.all(p_t >= 0.0) and np.all(p_t <= LENGTHS[:, None])
    if scale > 1:  # saturated sigmoid: both ends reached
        assert np.isclose(p_t.min(), 0.0, atol=1e-3)
        assert np.any(np.isclose(p_t, LENGTHS[:, None], atol=1e-3))


def test_empty_window_gives_zero_context_and_finite_gradients():
    """local-m past the source end: no allowed position, zero weights, no NaN."""
    layer = make("general_local_m")
    query, values = (tf.constant(x) for x in data("general_local_m"))
    with tf.GradientTape() as tape:
        tape.watch([query, values])
        context, weights = layer(query[:, 0], values, mask=MASK,
                                 query_positions=np.array([9, 4]))
        loss = keras.ops.sum(context) + keras.ops.sum(weights)
    assert np.all(np_(weights) == 0.0) and np.all(np_(context) == 0.0)
    for grad in tape.gradient(loss, [query, values, *layer.trainable_weights]):
        assert np.all(np.isfinite(np_(grad)))


def test_location_ignores_positions_past_max_source_length():
    layer = make("location")  # max_source_length 4, S = 5
    query, values = data("location")
    _, weights = layer(query, values)
    assert np.all(np_(weights)[..., 4] == 0.0)
    np.testing.assert_allclose(np_(weights).sum(-1), 1.0, atol=1e-6)


def test_mask_is_taken_from_values_and_query_mask_carried():
    """With no `mask=`, the Keras mask of `values` (Embedding(mask_zero)) is used."""
    ids = np.array([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0]])
    embedding = keras.layers.Embedding(9, DV, mask_zero=True)
    values = embedding(ids)
    layer = make("general")
    query, _ = data("general")
    context, weights = layer(query, values)
    context2, weights2 = layer(query, values, mask=MASK)
    np.testing.assert_allclose(np_(weights), np_(weights2), atol=1e-7)
    assert np.all(np_(weights)[1, :, 3:] == 0.0)
    query_mask = np.array([[True, True, True], [True, True, False]])
    assert layer.compute_mask(query, None) is None
    masked_query = keras.layers.Masking()(query * query_mask[..., None])
    context, weights = layer(masked_query, values)
    np.testing.assert_array_equal(np_(context._keras_mask), query_mask)


# ------------------------------------------------------------- contract
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_round_trip_and_serialization(name):
    cls, kwargs, trainable = CONFIGS[name]
    layer = make(name)
    config = layer.get_config()
    for key, value in kwargs.items():
        assert config[key] == value
    clone = cls.from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is cls and restored.get_config() == config
    assert {w.name for w in layer.trainable_weights} == trainable
    assert not layer.non_trainable_weights
    query, values = data(name)
    restored(query, values, mask=MASK)
    restored.set_weights(layer.get_weights())
    for a, b in zip(restored(query, values, mask=MASK), layer(query, values, mask=MASK),
                    strict=True):
        np.testing.assert_allclose(np_(a), np_(b), atol=1e-7)


def test_registered_under_rnnlab():
    for cls in (Attention, BahdanauAttention, LuongAttention):
        assert keras.saving.get_registered_name(cls) == f"rnnlab>{cls.__name__}"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_xla(name):
    layer = make(name)
    query, values = data(name)
    keys = layer.process_keys(values)

    @tf.function(jit_compile=True)
    def attend(query, values, mask, keys, t):
        all_steps = layer(query, values, mask=mask)
        one_step = layer(query[:, 1], values, mask=mask, keys=keys, query_positions=t)
        return all_steps, one_step

    (context, weights), (c_1, a_1) = attend(query, values, MASK, keys, np.array([1, 1]))
    eager_context, eager_weights = layer(query, values, mask=MASK)
    np.testing.assert_allclose(np_(weights), np_(eager_weights), atol=1e-5)
    np.testing.assert_allclose(np_(context), np_(eager_context), atol=1e-5)
    np.testing.assert_allclose(np_(a_1), np_(eager_weights)[:, 1], atol=1e-5)
    np.testing.assert_allclose(np_(c_1), np_(eager_context)[:, 1], atol=1e-5)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_mixed_precision(name, policy):
    reference_layer = make(name)
    query, values = data(name)
    ref_context, ref_weights = reference_layer(query, values, mask=MASK)
    compute_dtype = policy.removeprefix("mixed_")
    keras.config.set_dtype_policy(policy)
    try:
        layer = make(name)
        layer.set_weights(reference_layer.get_weights())
        context, weights = layer(query, values, mask=MASK)
        keys = layer.process_keys(keras.ops.cast(values, compute_dtype))  # outside __call__
        context_k, _ = layer(query[:, 0], values, mask=MASK, keys=keys)
    finally:
        keras.config.set_dtype_policy("float32")
    assert layer.compute_dtype == compute_dtype and layer.variable_dtype == "float32"
    assert context.dtype == weights.dtype == keys.dtype == compute_dtype
    assert np.all(np_(weights)[~np.broadcast_to(MASK[:, None], weights.shape)] == 0.0)
    np.testing.assert_allclose(np_(weights), np_(ref_weights), atol=3e-2)
    np.testing.assert_allclose(np_(context), np_(ref_context), atol=6e-2)
    np.testing.assert_allclose(np_(context_k), np_(context)[:, 0], atol=6e-2)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_gradients_reach_every_weight(name):
    layer = make(name)
    query, values = data(name)
    query, values = tf.constant(query), tf.constant(values)
    rng = np.random.default_rng(9)
    with tf.GradientTape() as tape:
        tape.watch([query, values])
        context, weights = layer(query, values, mask=MASK)
        loss = keras.ops.sum(context * rng.normal(size=context.shape)) + keras.ops.sum(
            weights * rng.normal(size=weights.shape)
        )
    sources = [query, values, *layer.trainable_weights]
    grads = tape.gradient(loss, sources)
    for source, grad in zip(sources, grads, strict=True):
        label = getattr(source, "path", "input")
        assert grad is not None, label
        grad = np_(grad)
        assert np.all(np.isfinite(grad)) and np.any(grad != 0.0), label


@pytest.mark.parametrize("name", ["bahdanau", "concat_local_p", "location_local_m"])
def test_trains_inside_a_functional_model(name):
    layer = CONFIGS[name][0](**CONFIGS[name][1])
    dv = values_dim(name)
    query_in = keras.Input((TQ, DQ), batch_size=B)
    values_in = keras.Input((S, dv), batch_size=B)
    mask_in = keras.Input((S,), batch_size=B, dtype="bool")
    context, weights = layer(query_in, values_in, mask=mask_in)
    model = keras.Model([query_in, values_in, mask_in], keras.layers.Dense(1)(context))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    query, values = data(name)
    before = [np.array(w) for w in layer.trainable_weights]
    loss = model.train_on_batch([query, values, MASK], np.ones((B, TQ, 1), "float32"))
    assert np.isfinite(loss)
    for w0, w in zip(before, layer.trainable_weights, strict=True):
        assert not np.allclose(w0, np.array(w)), f"{w.path} did not train"


BAD_ARGUMENTS = [
    (BahdanauAttention, {"units": 0}),
    (BahdanauAttention, {"units": 2.5}),
    (LuongAttention, {"score": "cosine"}),
    (LuongAttention, {"window": "local"}),
    (LuongAttention, {"window": "local-m"}),  # D missing
    (LuongAttention, {"window": "local-m", "D": -1}),
    (LuongAttention, {"window": "local-m", "D": 1.5}),
    (LuongAttention, {"window": "local-p", "D": 0}),  # sigma = D/2 must be > 0
    (LuongAttention, {"score": "concat"}),  # units missing
    (LuongAttention, {"score": "concat", "units": -3}),
    (LuongAttention, {"score": "location"}),  # max_source_length missing
    (LuongAttention, {"score": "location", "max_source_length": 0}),
]


@pytest.mark.parametrize(("cls", "kwargs"), BAD_ARGUMENTS)
def test_bad_arguments_raise(cls, kwargs):
    with pytest.raises(ValueError, match="Received"):
        cls(**kwargs)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="same width"):
        LuongAttention("dot")(np.zeros((B, DQ), "float32"), np.zeros((B, S, DV), "float32"))
    with pytest.raises(ValueError, match="Received"):
        BahdanauAttention(U)(np.zeros((B, 1, 1, DQ), "float32"), np.zeros((B, S, DV), "float32"))
