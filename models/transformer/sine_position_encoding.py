"""Sinusoidal position encoding of the Transformer."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnlab")
class SinePositionEncoding(keras.layers.Layer):
    """Fixed sinusoidal position encoding (Vaswani et al. 2017, section 3.5).

    Self-attention is blind to order (Beigy, "Deep learning: Recurrent neural networks", slides
    76-79), so the Transformer adds to each input vector a code of its position. For
    position `pos` and feature `j` of `d`, with `i = j // 2`:

        PE(pos, 2i)     = sin(pos / max_wavelength^(2i / d))
        PE(pos, 2i + 1) = cos(pos / max_wavelength^(2i / d))

    The wavelengths form a geometric progression from `2 pi` to
    `2 pi * max_wavelength`. An odd `d` is allowed: the last feature is a sine.

    The layer returns the encoding only; add it to the embeddings yourself.
    It has no weights. The angles are computed in float32 and cast to the
    compute dtype at the end, so positions above 256 stay exact under
    `mixed_bfloat16`. A Keras mask on the input passes through unchanged; to
    keep the mask of `Embedding(mask_zero=True)` in a functional model, add
    with `keras.layers.Add()`: the `+` operator drops Keras masks
    (keras-team/keras#18416).

    Args:
        max_wavelength: The base of the geometric progression of wavelengths,
            10000 in the paper. Must be positive. Default 10000.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[batch, time, d]`; only its (possibly dynamic) shape is read.
        start_index: Integer or integer scalar tensor, the position of the
            first step (for step-by-step decoding). Default 0.

    Output shape:
        `[batch, time, d]`, the same as `inputs` (the `[time, d]` encoding
        broadcast over the batch).

    Example:

    ```python
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(100, 16, mask_zero=True)(tokens)  # [B, T, 16]
    x = keras.layers.Add()([x, SinePositionEncoding()(x)])  # keeps the mask
    ```

    References:
        Vaswani et al., "Attention is all you need", NeurIPS 2017,
        section 3.5. https://arxiv.org/abs/1706.03762
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        if not max_wavelength > 0:
            raise ValueError(
                f"`max_wavelength` must be positive. Received: max_wavelength={max_wavelength}"
            )
        super().__init__(**kwargs)
        self.max_wavelength = max_wavelength
        self.supports_masking = True
        self.built = True

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        time, d = shape[-2], shape[-1]
        pos = ops.cast(ops.arange(time) + start_index, "float32")  # [T]
        j = ops.arange(d)  # [d]
        two_i = ops.cast(2 * (j // 2), "float32")  # [d]: 0, 0, 2, 2, 4, ...
        # 1 / max_wavelength^(2i/d), written as exp(-(2i/d) log(max_wavelength)).
        inverse_wavelength = ops.exp(
            -two_i / ops.cast(d, "float32") * ops.log(float(self.max_wavelength))
        )  # [d]
        angles = ops.expand_dims(pos, 1) * ops.expand_dims(inverse_wavelength, 0)  # [T, d]
        is_sine = ops.equal(j % 2, 0)  # [d]: even features sine, odd cosine
        encoding = ops.where(is_sine, ops.sin(angles), ops.cos(angles))  # [T, d]
        encoding = ops.cast(encoding, self.compute_dtype)
        return ops.broadcast_to(encoding, shape)  # [B, T, d]

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_wavelength": self.max_wavelength}
