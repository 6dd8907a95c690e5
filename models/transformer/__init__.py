"""Transformer layers of rnnlab (docs/architecture.md section 4; Beigy, "Deep learning: Recurrent
neural networks", slides 76-81).

`SinePositionEncoding` gives the fixed position code of Vaswani et al.
(2017) section 3.5; `TransformerEncoderBlock` is one encoder layer:
multi-head self-attention and a position-wise feed-forward network, each
with a residual connection and layer normalisation.
"""

from models.transformer.sine_position_encoding import SinePositionEncoding
from models.transformer.transformer_encoder_block import TransformerEncoderBlock

__all__ = ["SinePositionEncoding", "TransformerEncoderBlock"]
