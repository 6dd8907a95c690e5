"""`models.losses.SmoothedSparseCrossentropy` against Keras' own sparse
cross-entropy (no smoothing) and the smoothed formula written out in NumPy;
`DistillationCrossentropy` against its formula."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.losses import DistillationCrossentropy, SmoothedSparseCrossentropy

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(3, 5, 7)).astype("float32")  # [B, T, V]
TARGETS = np.array([[3, 4, 1, 0, 0], [2, 2, 6, 5, 1], [1, 0, 0, 0, 0]])  # 0 = padding


def test_without_smoothing_it_is_keras_sparse_crossentropy_with_ignore_class():
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    ours = SmoothedSparseCrossentropy(0.0)
    np.testing.assert_allclose(float(ours(TARGETS, LOGITS)), float(keras_loss(TARGETS, LOGITS)),
                               rtol=1e-6)


@pytest.mark.parametrize("eps", [0.1, 0.3])
def test_smoothed_loss_matches_the_formula(eps):
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(-1, keepdims=True))
    gold = np.take_along_axis(log_p, TARGETS[..., None], -1)[..., 0]
    per_token = -(1 - eps) * gold - eps * log_p.mean(-1)
    expected = per_token[TARGETS != 0].mean()
    got = SmoothedSparseCrossentropy(eps)(TARGETS, LOGITS)
    np.testing.assert_allclose(float(got), expected, rtol=1e-6)


def test_padding_logits_do_not_matter_and_gradients_flow():
    logits = tf.Variable(LOGITS)
    with tf.GradientTape() as tape:
        loss = SmoothedSparseCrossentropy(0.1)(TARGETS, logits)
    grad = tape.gradient(loss, logits).numpy()
    assert np.all(grad[TARGETS == 0] == 0) and np.abs(grad[TARGETS != 0]).sum() > 0


def test_config_round_trip_and_bad_smoothing():
    loss = SmoothedSparseCrossentropy(0.2)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(again, SmoothedSparseCrossentropy) and again.label_smoothing == 0.2
    with pytest.raises(ValueError, match="label_smoothing"):
        SmoothedSparseCrossentropy(1.0)


def packed(teacher):
    """The targets and a teacher's distribution as `DistillationCrossentropy` reads them."""
    return np.concatenate([TARGETS[..., None].astype("float32"), teacher], -1)  # [B, T, 1 + V]


@pytest.mark.parametrize("alpha,eps", [(0.5, 0.0), (0.3, 0.1), (1.0, 0.0)])
def test_distillation_loss_matches_the_formula(alpha, eps):
    teacher = RNG.dirichlet(np.ones(7), size=(3, 5)).astype("float32")  # [B, T, V]
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(-1, keepdims=True))
    gold = np.take_along_axis(log_p, TARGETS[..., None], -1)[..., 0]
    hard = -(1 - eps) * gold - eps * log_p.mean(-1)
    soft = -(teacher * log_p).sum(-1)
    expected = ((1 - alpha) * hard + alpha * soft)[TARGETS != 0].mean()
    got = DistillationCrossentropy(alpha, eps)(packed(teacher), LOGITS)
    np.testing.assert_allclose(float(got), expected, rtol=1e-5)


def test_distillation_loss_of_plain_targets_or_a_one_hot_teacher_is_the_crossentropy():
    plain = SmoothedSparseCrossentropy(0.1)(TARGETS, LOGITS)
    loss = DistillationCrossentropy(0.5, 0.1)
    np.testing.assert_allclose(float(loss(TARGETS, LOGITS)), float(plain), rtol=1e-6)
    one_hot = np.eye(7, dtype="float32")[TARGETS]
    exact = DistillationCrossentropy(0.7)(packed(one_hot), LOGITS)
    np.testing.assert_allclose(float(exact), float(SmoothedSparseCrossentropy(0.0)(
        TARGETS, LOGITS)), rtol=1e-6)
    restored = DistillationCrossentropy.from_config(loss.get_config())
    assert (restored.soft_weight, restored.label_smoothing) == (0.5, 0.1)
