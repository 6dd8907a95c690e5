"""`LanguageModelMixture`: several character language models as one."""

import math

import tensorflow as tf


class LanguageModelMixture:
    """The equal-weight mixture of M trained character language models:

        ``p(x_t | x_<t) = (1 / M) sum_m p_m(x_t | x_<t)``

    (linear interpolation of language models, Jelinek and Mercer 1980; of
    recurrent ones, Mikolov et al. 2011, "Empirical evaluation and
    combination of advanced language modeling techniques"). Each model
    reads the text with its own state. `forward` and `step` have the
    signatures of `CharLanguageModel`'s (unconditional) and return the
    mixture's log-probabilities where the model returns logits (a softmax
    of log-probabilities gives the probabilities back), so the scoring and
    the sampler (`models.lm.Sampler`) take either.

    Args:
        models: the trained unconditional `CharLanguageModel`s, sharing one
            vocabulary.
    """

    def __init__(self, models):
        self.models = list(models)

    def initial_states(self, batch_size):
        """Per model, its `initial_states(batch_size)`."""
        return [m.initial_states(batch_size) for m in self.models]

    def _mix(self, logits):
        """log (1/M) sum_m softmax(logits_m): `[..., V]` float32."""
        log_probs = tf.stack([tf.nn.log_softmax(tf.cast(x, tf.float32)) for x in logits])
        return tf.reduce_logsumexp(log_probs, axis=0) - math.log(len(self.models))

    def forward(self, ids, states=None, mask=None):
        """`(log-probabilities [B, T, V], final states)` of ids `[B, T]`."""
        if states is None:
            states = self.initial_states(tf.shape(ids)[0])
        out = [m.forward(ids, s, mask=mask) for m, s in zip(self.models, states, strict=True)]
        return self._mix([x for x, _ in out]), [s for _, s in out]

    def step(self, ids, states):
        """`(log-probabilities [B, V], new states)` after ids `[B]`."""
        out = [m.step(ids, s) for m, s in zip(self.models, states, strict=True)]
        return self._mix([x for x, _ in out]), [s for _, s in out]
