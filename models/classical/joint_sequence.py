"""Joint-sequence (graphone) n-gram models of spelling and pronunciation.

Bisani and Ney (2008) model a word X and its pronunciation Y together as
one sequence of graphones q = (g, f): a chunk g of letters paired with a
chunk f of phonemes (possibly empty), so that the chunks concatenate to
X and to Y. The joint probability is an n-gram over graphones (their
eqs. 3 and 7):

    p(X, Y) = sum_{q_1..q_L in S(X, Y)} prod_t p(q_t | q_{t-n+1}, ..., q_{t-1})

where S(X, Y) are the segmentations of the pair into graphones. This
module makes the maximum approximation twice, as their Viterbi training
does (section 3.3):

1. Alignment: a unigram graphone model is fitted by Viterbi EM on the
   training pairs (align every pair with the current model by dynamic
   programming, re-estimate the unigram from the alignments, repeat). It
   starts from a prior over chunk shapes that favours one letter for one
   phoneme.
2. Sequence model: the graphone strings of the final alignments, one per
   pair between boundary symbols, train an order-n interpolated modified
   Kneser-Ney model (`models.classical.ngram.CharNGram`, over graphone ids).

`log_prob(X, Y)` scores a pair by the n-gram probability of its
Viterbi segmentation under the unigram (not the sum over all S(X, Y)).
The G2P task uses it as one feature of its learned n-best reranker: a
count-based model whose errors differ from those of the neural models.

References:
    Maximilian Bisani and Hermann Ney (2008), "Joint-sequence models for
    grapheme-to-phoneme conversion", Speech Communication 50(5).
"""

import math

import numpy as np

from models.classical.ngram import CharNGram

#: (letters, phonemes) chunk sizes a graphone may have.
SHAPES = ((1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1), (2, 2), (3, 1))
#: the starting prior over the shapes (the first alignment's unigram).
SHAPE_PRIOR = {(1, 1): 0.6, (1, 0): 0.1, (1, 2): 0.1, (2, 1): 0.1, (2, 0): 0.02,
               (2, 2): 0.02, (1, 3): 0.01, (3, 1): 0.01}
OOV, BOUNDARY = 1, 2  # graphone ids; id 0 is "no symbol" in n-gram histories


class JointSequenceModel:
    """An order-n graphone model, fitted on `(word, phonemes)` pairs.

    Args:
        order: n of the graphone n-gram.
        iterations: Viterbi EM passes of the unigram alignment model.
        min_count: graphones seen fewer times in the final alignments map
            to one out-of-vocabulary id.

    Example:

    >>> pairs = [("cat", ["K", "AE", "T"]), ("bat", ["B", "AE", "T"]),
    ...          ("cab", ["K", "AE", "B"])] * 3
    >>> model = JointSequenceModel(order=2, iterations=2).fit(pairs)
    >>> model.align("tab", ["T", "AE", "B"])
    [('t', 'T'), ('a', 'AE'), ('b', 'B')]
    >>> bool(model.log_prob("cat", ["K", "AE", "T"]) > model.log_prob("cat", ["K", "T"]))
    True
    """

    def __init__(self, order=5, iterations=8, min_count=1):
        if order < 1 or iterations < 1:
            raise ValueError(f"`order` and `iterations` must be at least 1. "
                             f"Received: order={order}, iterations={iterations}")
        self.order, self.iterations, self.min_count = order, iterations, min_count
        self.unigram = None  # {(letters, "P H"): log p}
        self.floor = None  # log p of a graphone the unigram never saw
        self.ids = None  # {(letters, "P H"): id}
        self.ngram = None

    def fit(self, pairs, progress=None):
        """Aligns `pairs` (word, phoneme list) and fits the n-gram; returns
        self. `progress(i)` is called after each EM pass."""
        pairs = [(word, list(phonemes)) for word, phonemes in pairs]
        self.unigram, self.floor = self._shape_prior(pairs), math.log(1e-6)
        for i in range(self.iterations):
            counts = {}
            for word, phonemes in pairs:
                for graphone in self.align(word, phonemes) or ():
                    counts[graphone] = counts.get(graphone, 0) + 1
            total = sum(counts.values())
            self.unigram = {g: math.log(c / total) for g, c in counts.items()}
            self.floor = math.log(0.5 / total)
            if progress:
                progress(i)
        kept = sorted(g for g, c in counts.items() if c >= self.min_count)
        self.ids = {g: i + 3 for i, g in enumerate(kept)}
        stream = [BOUNDARY]
        for word, phonemes in pairs:
            aligned = self.align(word, phonemes)
            if aligned is not None:
                stream += [self.ids.get(g, OOV) for g in aligned] + [BOUNDARY]
        self.ngram = CharNGram(len(self.ids) + 3, order=self.order).fit(np.array(stream))
        return self

    def _shape_prior(self, pairs):
        """The first unigram: every chunk pair of the training words at
        the prior probability of its shape."""
        prior = {}
        for word, phonemes in pairs:
            for i in range(len(word)):
                for j in range(len(phonemes) + 1):
                    for a, b in SHAPES:
                        if i + a <= len(word) and j + b <= len(phonemes):
                            graphone = (word[i:i + a], " ".join(phonemes[j:j + b]))
                            prior[graphone] = math.log(SHAPE_PRIOR[a, b])
        return prior

    def align(self, word, phonemes):
        """The most probable segmentation of the pair under the unigram, as
        `[(letters, "P H"), ...]`, or None if no segmentation of SHAPES
        covers it. Dynamic programming over (letters, phonemes) read."""
        n, m = len(word), len(phonemes)
        best = {(0, 0): (0.0, None)}  # (i, j) -> (log p, back pointer)
        for i in range(n):
            for j in range(m + 1):
                here = best.get((i, j))
                if here is None:
                    continue
                for a, b in SHAPES:
                    if i + a > n or j + b > m:
                        continue
                    graphone = (word[i:i + a], " ".join(phonemes[j:j + b]))
                    score = here[0] + self.unigram.get(graphone, self.floor)
                    end = (i + a, j + b)
                    if end not in best or score > best[end][0]:
                        best[end] = (score, (i, j, graphone))
        if (n, m) not in best:
            return None
        out, at = [], (n, m)
        while at != (0, 0):
            _, (i, j, graphone) = best[at]
            out.append(graphone)
            at = (i, j)
        return out[::-1]

    def log_prob(self, word, phonemes):
        """Natural log p(X, Y) of the pair's segmentation under the n-gram
        (boundary to boundary); -inf if it cannot be segmented."""
        if self.ngram is None:
            raise ValueError("the model is not fitted; call fit() first")
        aligned = self.align(word, list(phonemes))
        if aligned is None:
            return float("-inf")
        ids = [BOUNDARY] + [self.ids.get(g, OOV) for g in aligned] + [BOUNDARY]
        padded = [0] * (self.order - 1) + ids
        windows = np.array([padded[t:t + self.order] for t in range(1, len(ids))])
        return float(np.log(self.ngram.probabilities(windows)).sum())
