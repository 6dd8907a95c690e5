"""Models of the long-range benchmarks (adding problem, copy task, per-step
parity; docs/architecture.md section 3): a recurrent network of any `models.cells` cell
and a causal Transformer peer, with the same inputs and outputs.

- `RecurrentNetwork`: one `models.Recurrent` layer and a linear read-out,
  many-to-one or synced many-to-many, optionally trained with the
  gradient-flow regulariser of Pascanu et al. (2013).
- `TransformerNetwork`: causal Transformer encoder blocks, same interface.
- `CausalTransformerBlock`: the block with a causal attention mask.
"""

from models.synthetic.causal_transformer_block import CausalTransformerBlock
from models.synthetic.recurrent_network import RecurrentNetwork
from models.synthetic.transformer_network import TransformerNetwork

__all__ = ["CausalTransformerBlock", "RecurrentNetwork", "TransformerNetwork"]
