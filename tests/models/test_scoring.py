"""`models.lm.scoring`: a text stream's scores, static and with dynamic
evaluation (learning from the scored text, Krause et al. 2018). The static
scores' independence of the window is checked on a trained model in
`tests/pipeline/tasks/lm/test_task.py`."""

import numpy as np
import pytest
import tensorflow as tf

from models.lm import CharLanguageModel, dynamic_log2_probabilities, log2_probabilities

V = 9


def make():
    model = CharLanguageModel(V, embedding_dim=4, units=8)
    model.build((None, None))
    return model


def stream(n, seed=0):
    return np.random.default_rng(seed).integers(1, V, n).astype("int32")


def static_log2(model, ids):
    logits, _ = model.forward(ids[None, :-1])
    log_p = tf.nn.log_softmax(logits)[0].numpy()
    return log_p[np.arange(len(ids) - 1), ids[1:]] / np.log(2)


def reference(model, ids, eta, lam, segment):
    """The SGD rule written out on a copy of the model: score a segment
    from the carried state, then theta <- theta - eta grad L + lam (theta_0 -
    theta) with L the segment's mean cross-entropy."""
    copy = CharLanguageModel.from_config(model.get_config())
    copy.build((None, None))
    copy.set_weights(model.get_weights())
    theta0 = [w.copy() for w in model.get_weights()]
    states, out = copy.initial_states(1), []
    for start in range(0, len(ids) - 1, segment):
        y = ids[start + 1:start + segment + 1]
        x = ids[start:start + len(y)]
        with tf.GradientTape() as tape:
            logits, new_states = copy.forward(x[None], states)
            log_p = tf.nn.log_softmax(logits)[0]
            picked = tf.gather(log_p, y, batch_dims=1)
            loss = -tf.reduce_mean(picked)
        grads = tape.gradient(loss, copy.trainable_variables)
        out.append(picked.numpy() / np.log(2))
        for v, g, w0 in zip(copy.trainable_variables, grads, theta0, strict=True):
            w = v.numpy()
            v.assign(w - eta * tf.convert_to_tensor(g).numpy() + lam * (w0 - w))
        states = new_states
    return np.concatenate(out)


@pytest.mark.parametrize("eta, lam, segment", [(0.5, 0.0, 7), (0.3, 0.2, 5)])
def test_matches_the_update_rule_and_restores_the_weights(eta, lam, segment):
    model = make()
    ids = stream(33)
    before = [w.copy() for w in model.get_weights()]
    got = dynamic_log2_probabilities(model, ids, eta, decay=lam, segment=segment)
    assert got.shape == (32,)
    np.testing.assert_allclose(got, reference(model, ids, eta, lam, segment),
                               rtol=1e-4, atol=1e-5)
    for w, w0 in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, w0)
    # the first segment is scored before any update; later ones after
    static = static_log2(model, ids)
    np.testing.assert_allclose(got[:segment], static[:segment], rtol=1e-4, atol=1e-5)
    assert np.abs(got[segment:] - static[segment:]).max() > 1e-3


def test_static_scores_and_learning_rate_zero():
    model = make()
    ids = stream(40)
    static = static_log2(model, ids)
    for window in (1, 6, 100):
        np.testing.assert_allclose(log2_probabilities(model, ids, window), static,
                                   rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dynamic_log2_probabilities(model, ids, 0.0, segment=6),
                               static, rtol=1e-4, atol=1e-5)


def test_a_prefix_is_scored_without_seeing_what_follows():
    model = make()
    ids = stream(40)
    changed = ids.copy()
    changed[25:] = stream(15, seed=1)
    a = dynamic_log2_probabilities(model, ids, 1.0, segment=8)
    b = dynamic_log2_probabilities(model, changed, 1.0, segment=8)
    np.testing.assert_array_equal(a[:24], b[:24])  # targets ids[1..24]
    assert not np.allclose(a[24:], b[24:])


def test_a_repeating_text_becomes_likelier():
    """A 6-character phrase repeated 20 times: after 60 characters the
    adapting model scores it at least half a bit better than the static
    one (measured: 2.52 against 3.18 bits per character)."""
    model = make()
    ids = np.tile(stream(6), 20)
    static = -static_log2(model, ids)[60:].mean()
    dynamic = -dynamic_log2_probabilities(model, ids, 0.5, segment=10)[60:].mean()
    assert dynamic < static - 0.5


def test_rejects_bad_arguments():
    model = make()
    for kwargs in ({"learning_rate": -1.0}, {"learning_rate": 0.1, "decay": 1.5},
                   {"learning_rate": 0.1, "segment": 0}):
        with pytest.raises(ValueError, match="learning_rate"):
            dynamic_log2_probabilities(model, stream(10), **kwargs)
