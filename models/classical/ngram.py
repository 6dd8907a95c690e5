"""Character n-gram language models: the Markov baseline of the LM task.

An order-n model keeps only the last n-1 characters of the history (the
Markov assumption, Wang, "Recurrent Neural Network", slides 7-8):

    p(x_1, ..., x_T) = prod_t p(x_t | x_{t-n+1}, ..., x_{t-1})

and estimates each conditional from counts in the training text, smoothed
so that unseen continuations keep some probability. Two interpolated
smoothings are implemented, both recursive in the order:

- `"kneser_ney"`: interpolated modified Kneser-Ney (Chen and Goodman 1998,
  section 3, eqs. (17)-(19)). Three absolute discounts per order (for counts
  1, 2 and 3+); lower orders use continuation counts N1+(. h w), the number
  of distinct characters seen before `h w`, not raw counts.
- `"witten_bell"`: interpolated Witten-Bell (Chen and Goodman 1998, eq.
  (14)): a context seen with N1+(h .) distinct followers gives the lower
  order N1+(h .) / (c(h) + N1+(h .)) of its mass.

Both end in the uniform distribution over the symbols, so every symbol of
the vocabulary (the out-of-vocabulary id included) has a probability above
zero and the probabilities of a history sum to one.

Symbols are the integer ids of `pipeline.data.vocab` (1 = out of vocabulary,
2.. the characters); id 0 (padding) is never predicted and marks "no
symbol" in the history. Counting is vectorised: a k-gram is the integer
``r * b + w_k`` with base b = the vocabulary size and r the rank of its
first k-1 symbols among the distinct (k-1)-grams of the training stream
(r = 0 for the empty prefix of a unigram), and counts are `numpy.unique`
over those codes. Ranks keep codes below N * b for a stream of N symbols
whatever the order (plain base-b codes ``sum_i w_i * b**(k-i)`` overflow
64 bits at order 6 over a few thousand symbols), and the context of a
code is still ``code // b``.

References:
    Stanley F. Chen and Joshua Goodman (1998), "An Empirical Study of
    Smoothing Techniques for Language Modeling", Harvard TR-10-98.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

METHODS = ("kneser_ney", "witten_bell")


def _stream_codes(ids, order, base):
    """`[None, codes_1, ..., codes_order]`: codes_k `[N-k+1]` of the k-grams
    of `ids` starting at positions 0..N-k, and `[None, keys_1, ...,
    keys_order]` the sorted distinct codes of each order (the rank of a
    k-gram is its index in keys_k)."""
    codes, keys = [None], [None]
    rank = np.zeros(len(ids), np.int64)  # of the empty gram at each start
    for k in range(1, order + 1):
        code = rank[: len(ids) - k + 1] * base + ids[k - 1 :]  # [N-k+1]
        distinct, rank = np.unique(code, return_inverse=True)
        codes.append(code)
        keys.append(distinct)
    return codes, keys


def _rank(keys, queries):
    """The index of each query in the sorted `keys`, -1 where absent."""
    if len(keys) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    idx = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[idx] == queries, idx, -1)


def _lookup(keys, values, queries, default=0):
    """`values[i]` where `keys[i] == query` (keys sorted), else `default`."""
    if len(keys) == 0:
        return np.full(len(queries), default, dtype=values.dtype)
    idx = _rank(keys, queries)
    return np.where(idx >= 0, values[idx], default)


class _Order:
    """The counts of one order: k-gram codes, their counts, and per context
    (the first k-1 symbols) the total and the numbers of followers seen
    once, twice and three or more times."""

    def __init__(self, codes, counts, base):
        self.codes, self.counts = codes, counts  # sorted unique [G], [G]
        contexts = codes // base
        self.contexts, first = np.unique(contexts, return_index=True)  # [H]
        self.total = np.add.reduceat(counts, first)
        self.n1 = np.add.reduceat((counts == 1).astype(np.int64), first)
        self.n2 = np.add.reduceat((counts == 2).astype(np.int64), first)
        self.n3 = np.add.reduceat((counts >= 3).astype(np.int64), first)

    def count_of_counts(self, c):
        return int(np.sum(self.counts == c))


def modified_discounts(n1, n2, n3, n4):
    """`(D1, D2, D3+)` of Chen and Goodman (1998) eq. (19) from an order's
    counts of counts n1..n4 (how many of its grams were seen 1..4 times);
    one discount n1/(n1+2 n2) where those are too few for three, and 0.5
    where that is 0 (no n-gram seen once: a discount of 0 would leave no
    mass for the unseen symbols)."""
    if min(n1, n2, n3, n4) == 0:
        d = n1 / (n1 + 2 * n2) if n1 else 0.5
        return (min(d, 1.0),) * 3
    y = n1 / (n1 + 2 * n2)
    d1, d2, d3 = 1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3
    return (float(np.clip(d1, 0, 1)), float(np.clip(d2, 0, 2)), float(np.clip(d3, 0, 3)))


class CharNGram:
    """An order-n character language model with interpolated smoothing.

    Args:
        vocabulary_size: V, ids range over 0..V-1; the model predicts ids
            1..V-1 (id 0 is padding).
        order: n, the number of characters of an n-gram (history n-1).
        method: `"kneser_ney"` (interpolated modified Kneser-Ney) or
            `"witten_bell"` (interpolated Witten-Bell).

    Example:

    >>> model = CharNGram(5, order=2).fit(np.array([2, 3, 2, 3, 2, 4]))
    >>> p = model.distribution([2])
    >>> round(float(p.sum()), 6), int(p.argmax())
    (1.0, 3)
    """

    def __init__(self, vocabulary_size, order=5, method="kneser_ney"):
        if order < 1:
            raise ValueError(f"`order` must be at least 1. Received: order={order}")
        if method not in METHODS:
            raise ValueError(f"`method` must be one of {METHODS}. Received: method={method!r}")
        if vocabulary_size < 2:
            raise ValueError("`vocabulary_size` must be at least 2. "
                             f"Received: vocabulary_size={vocabulary_size}")
        self.vocabulary_size = vocabulary_size
        self.order = order
        self.method = method
        self.orders = None
        self.prefixes = None  # [None, keys_1 .. keys_{n-1}]: ranks of contexts
        self.discounts = None

    def fit(self, ids):
        """Counts the n-grams of the id stream `ids` (1-D); returns self."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.ndim != 1 or len(ids) < self.order:
            raise ValueError(f"need a 1-D stream of at least {self.order} ids; "
                             f"got shape {ids.shape}")
        if ids.min() < 1 or ids.max() >= self.vocabulary_size:
            raise ValueError(f"ids must lie in 1..{self.vocabulary_size - 1}")
        b = self.vocabulary_size
        if len(ids) * b >= 2 ** 62:
            raise ValueError(f"{len(ids)} ids over {b} symbols do not fit in 64-bit codes")
        stream, keys = _stream_codes(ids, self.order, b)
        self.prefixes = keys[: self.order]
        self.orders = [None]
        for k in range(1, self.order + 1):
            if self.method == "kneser_ney" and k < self.order:
                # Continuation counts: N1+(. g) = distinct (k+1)-grams ending
                # in g; the k-gram ending a (k+1)-gram starts one later.
                _, first = np.unique(stream[k + 1], return_index=True)
                codes, counts = np.unique(stream[k][first + 1], return_counts=True)
            else:
                codes, counts = np.unique(stream[k], return_counts=True)
            self.orders.append(_Order(codes, counts.astype(np.int64), b))
        if self.method == "kneser_ney":
            self.discounts = [None] + [
                modified_discounts(*(o.count_of_counts(c) for c in (1, 2, 3, 4)))
                for o in self.orders[1:]]
        return self

    def probabilities(self, windows):
        """p(w | h) for rows `[h_1 .. h_{n-1}, w]` of `windows` (`[M, n]`).

        A 0 in the history means no symbol there (the start of a text): the
        orders whose context reaches it are skipped.
        """
        if self.orders is None:
            raise ValueError("the model is not fitted; call fit() first")
        windows = np.asarray(windows, dtype=np.int64)
        n, b = self.order, self.vocabulary_size
        p = np.full(len(windows), 1.0 / (b - 1))  # order 0: uniform over ids 1..V-1
        available = np.ones(len(windows), dtype=bool)
        for k in range(1, n + 1):
            gram = windows[:, n - k:]  # [M, k], context then target
            if k > 1:
                available &= gram[:, 0] > 0
            code = self.codes(gram)  # [M]
            o = self.orders[k]
            c = _lookup(o.codes, o.counts, code)
            context = code // b
            total = _lookup(o.contexts, o.total, context)
            n1 = _lookup(o.contexts, o.n1, context)
            n2 = _lookup(o.contexts, o.n2, context)
            n3 = _lookup(o.contexts, o.n3, context)
            seen = available & (total > 0)
            denominator = np.where(seen, total, 1).astype(np.float64)
            if self.method == "kneser_ney":
                d1, d2, d3 = self.discounts[k]
                discount = np.select([c == 0, c == 1, c == 2], [0.0, d1, d2], d3)
                gamma = d1 * n1 + d2 * n2 + d3 * n3  # eq. (18): mass left for order k-1
                q = (np.maximum(c - discount, 0.0) + gamma * p) / denominator
            else:
                followers = n1 + n2 + n3  # N1+(h .)
                q = (c + followers * p) / (denominator + followers)
            p = np.where(seen, q, p)
        return p

    def codes(self, grams):
        """The codes `[M]` of the k-grams `grams` (`[M, k]`, k <= n); a gram
        whose first k-1 symbols the training stream never showed gets a
        negative code, which matches no count and no context."""
        grams = np.asarray(grams, dtype=np.int64)
        b = self.vocabulary_size
        rank = np.zeros(len(grams), np.int64)
        for j in range(1, grams.shape[1]):  # the rank of grams[:, :j]
            rank = _rank(self.prefixes[j], rank * b + grams[:, j - 1])
        return rank * b + grams[:, -1]

    def windows(self, ids):
        """`[N-1, n]` windows predicting ids[1:] from their histories
        (left-padded with 0 at the start of the stream)."""
        ids = np.asarray(ids, dtype=np.int64)
        padded = np.concatenate([np.zeros(self.order - 1, np.int64), ids])
        return sliding_window_view(padded, self.order)[1:]

    def log2_probabilities(self, ids):
        """log2 p(ids[t] | ids[t-n+1 .. t-1]) for t = 1 .. N-1 (`[N-1]`):
        the first id is context only, as for the recurrent model."""
        return np.log2(self.probabilities(self.windows(ids)))

    def bits_per_character(self, ids):
        """Mean -log2 p over the predicted ids of the stream `ids`."""
        return float(-np.mean(self.log2_probabilities(ids)))

    def distribution(self, history):
        """`[V]` probabilities of every id after `history` (0 for id 0)."""
        history = list(history)[-(self.order - 1):] if self.order > 1 else []
        history = [0] * (self.order - 1 - len(history)) + history
        candidates = np.arange(1, self.vocabulary_size)
        windows = np.column_stack([np.tile(history, (len(candidates), 1)).reshape(
            len(candidates), self.order - 1), candidates])
        return np.concatenate([[0.0], self.probabilities(windows)])


def refitted_log2_probabilities(train_ids, ids, segment, **kwargs):
    """log2 p(ids[t] | history) for t = 1..N-1 (`[N-1]`) from an n-gram
    model that keeps counting the text it scores: the peer of dynamic
    evaluation (`models.lm.dynamic_log2_probabilities`).

    The stream is cut into segments of `segment` characters, as there;
    each is scored by a `CharNGram(**kwargs)` fitted on `train_ids` followed
    by every character before the segment, so both models have seen the
    same text when they score a character. (The one stream joins the
    training text to the scored prefix: the n-1 n-grams across the join are
    counted too.) `models.classical.online_ngram.adapting_log2_probabilities`
    gives the same scores, computing a segment of 1 by updating counts.
    """
    if segment < 1:
        raise ValueError(f"`segment` must be at least 1. Received: segment={segment}")
    train_ids = np.asarray(train_ids, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    windows = CharNGram(**kwargs).windows(ids)  # [N-1, n]
    out = []
    for start in range(0, len(windows), segment):
        model = CharNGram(**kwargs).fit(np.concatenate([train_ids, ids[:start + 1]]))
        out.append(np.log2(model.probabilities(windows[start:start + segment])))
    return np.concatenate(out) if out else np.zeros(0)
