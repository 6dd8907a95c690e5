"""`SmoothedSparseCrossentropy`: sparse cross-entropy with label smoothing
and an ignored padding class; `DistillationCrossentropy`: the same mixed
with the cross-entropy against a teacher's per-step distribution.

Keras' `SparseCategoricalCrossentropy` has `ignore_class` but no
`label_smoothing` (only the one-hot `CategoricalCrossentropy` has it), and
one-hot targets over every padded decoder step would waste memory. With
smoothing epsilon over V classes the target distribution is
``q = (1 - epsilon) onehot(y) + epsilon / V`` (Szegedy et al. 2016, section
7), so the loss of one token is

    ``-(1 - epsilon) log p_y - (epsilon / V) sum_v log p_v``

Tokens whose target is `ignore_class` contribute nothing, and the batch
loss is the mean over the other tokens, as Keras' `ignore_class` does.

References:
    Szegedy et al., "Rethinking the Inception architecture for computer
    vision", CVPR 2016, section 7 (label-smoothing regularization).
    Vaswani et al., "Attention is all you need", 2017, section 5.4 (its use
    in sequence-to-sequence training).
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnlab")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy of integer targets against logits, label-smoothed.

    Args:
        label_smoothing: epsilon in [0, 1); 0 is the plain cross-entropy.
        ignore_class: the target id that is not scored (padding), or None.
    """

    def __init__(self, label_smoothing=0.0, ignore_class=0, name="smoothed_crossentropy",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"`label_smoothing` must be in [0, 1). "
                             f"Received: label_smoothing={label_smoothing}")
        self.label_smoothing = float(label_smoothing)
        self.ignore_class = ignore_class

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")  # [B, T]
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)  # [B, T, V]
        return self.scored(self.token_loss(y_true, log_probs), y_true)

    def token_loss(self, y_true, log_probs):
        """The smoothed cross-entropy of every token `[B, T]`."""
        safe = y_true if self.ignore_class is None else ops.where(
            ops.equal(y_true, self.ignore_class), 0, y_true)
        gold = ops.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0]  # [B, T]
        uniform = ops.mean(log_probs, axis=-1)  # [B, T]
        eps = self.label_smoothing
        return -(1.0 - eps) * gold - eps * uniform  # [B, T]

    def scored(self, loss, y_true):
        """`loss` `[B, T]` with the ignored tokens zeroed and the others
        scaled so that the reduction's mean is the mean over them."""
        if self.ignore_class is None:
            return loss
        # The reduction divides by every token; scaling by all / scored makes
        # it the mean over the scored ones.
        mask = ops.cast(ops.not_equal(y_true, self.ignore_class), "float32")  # [B, T]
        scale = ops.cast(ops.size(mask), "float32") / ops.maximum(ops.sum(mask), 1.0)
        return loss * mask * scale

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing,
                "ignore_class": self.ignore_class}


@keras.saving.register_keras_serializable(package="rnnlab")
class DistillationCrossentropy(SmoothedSparseCrossentropy):
    """Word-level knowledge distillation: the cross-entropy against the
    targets mixed with the cross-entropy against a teacher's distribution
    at every step,

        ``(1 - alpha) CE(y_t) - alpha sum_v p_teacher(v | y_<t, x) log q(v | y_<t, x)``

    (Kim and Rush 2016, "Sequence-Level Knowledge Distillation", eq. (4),
    word-level; with the mean of several teachers' distributions, Sun et al.
    2019, "Token-Level Ensemble Distillation for Grapheme-to-Phoneme
    Conversion", section 3).

    `y_true` packs both: `[B, T, 1 + V]`, the target id (as a float) then
    the teacher's distribution over the V classes. Plain integer targets
    `[B, T]` (the validation batches) get the cross-entropy alone.

    Args:
        soft_weight: alpha in [0, 1].
        label_smoothing, ignore_class: as `SmoothedSparseCrossentropy`, for
            the targets' term.
    """

    def __init__(self, soft_weight=0.5, label_smoothing=0.0, ignore_class=0,
                 name="distillation_crossentropy", **kwargs):
        super().__init__(label_smoothing, ignore_class, name=name, **kwargs)
        if not 0.0 <= soft_weight <= 1.0:
            raise ValueError(f"`soft_weight` must be in [0, 1]. Received: "
                             f"soft_weight={soft_weight}")
        self.soft_weight = float(soft_weight)

    def call(self, y_true, y_pred):
        if len(y_true.shape) == 2:  # plain targets
            return super().call(y_true, y_pred)
        ids = ops.cast(y_true[..., 0], "int32")  # [B, T]
        teacher = ops.cast(y_true[..., 1:], "float32")  # [B, T, V]
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)  # [B, T, V]
        soft = -ops.sum(teacher * log_probs, axis=-1)  # [B, T]
        alpha = self.soft_weight
        return self.scored((1.0 - alpha) * self.token_loss(ids, log_probs) + alpha * soft, ids)

    def get_config(self):
        return {**super().get_config(), "soft_weight": self.soft_weight}
