"""`SmoothedSparseCrossentropy`: sparse cross-entropy with label smoothing
and an ignored padding class.

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
        safe = y_true if self.ignore_class is None else ops.where(
            ops.equal(y_true, self.ignore_class), 0, y_true)
        gold = ops.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0]  # [B, T]
        uniform = ops.mean(log_probs, axis=-1)  # [B, T]
        eps = self.label_smoothing
        loss = -(1.0 - eps) * gold - eps * uniform  # [B, T]
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
