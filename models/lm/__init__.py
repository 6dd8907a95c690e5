"""Character language models: the model and its in-graph sampler.

- `CharLanguageModel`: embedding, stacked `models.Recurrent` layers and a
  softmax; stateful for truncated BPTT; optionally conditioned on a fixed
  vector (initial state, extra input, or both).
- `Sampler`, `next_ids`: temperature and top-k sampling with stateless
  seeds, one character at a time.
- `log2_probabilities`, `dynamic_log2_probabilities`: the scores of a text
  stream, static or with dynamic evaluation (the model keeps learning from
  the text it scores).
- `LanguageModelMixture`: several trained models as one (their mean
  probability), for scoring and sampling.
- `cache_log2_probabilities`: the continuous cache (Grave et al. 2017),
  attention over the model's own past hidden states, scored from the
  states `log2_probabilities(..., return_hidden=True)` returns.
- `nearest_neighbours`, `memory_log2_probabilities`: the nearest-neighbour
  memory (Khandelwal et al. 2020), the same interpolation over the hidden
  states of the training text.
"""

from models.lm.cache import cache_log2_probabilities
from models.lm.char_language_model import CONDITION_MODES, CharLanguageModel
from models.lm.memory import memory_log2_probabilities, nearest_neighbours
from models.lm.mixture import LanguageModelMixture
from models.lm.sampler import Sampler, next_ids
from models.lm.scoring import dynamic_log2_probabilities, log2_probabilities

__all__ = ["CONDITION_MODES", "CharLanguageModel", "LanguageModelMixture", "Sampler",
           "cache_log2_probabilities", "dynamic_log2_probabilities", "log2_probabilities",
           "memory_log2_probabilities", "nearest_neighbours", "next_ids"]
