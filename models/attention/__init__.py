"""The attention layers of rnnlab (docs/architecture.md section 4; Beigy, "Deep learning: Recurrent
neural networks", slides 57-75).

`BahdanauAttention` (additive) and `LuongAttention` (scores `dot`, `general`,
`concat`, `location`, `scaled_dot`; windows `global`, `local-m`, `local-p`)
share the base `Attention`: one `score` hook, plus `process_keys` (the source
side, computed once per sequence) and `align` (scores to weights).
`AttentionPooling` pools a sequence into one vector (the classifier's head).
"""

from models.attention.attention_pooling import AttentionPooling
from models.attention.bahdanau_attention import BahdanauAttention
from models.attention.base import Attention, masked_softmax
from models.attention.luong_attention import LuongAttention

__all__ = ["Attention", "AttentionPooling", "BahdanauAttention", "LuongAttention", "masked_softmax"]
