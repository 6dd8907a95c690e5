"""A character n-gram model that counts the text it scores, one character at
a time: PPM's update rule on the smoothing of `models.classical.ngram`.

`refitted_log2_probabilities(train, ids, segment)` refits a `CharNGram` on
the training text and the scored prefix every `segment` characters; each
refit recounts the whole stream, so a segment of one character (the update
rule of PPM, Cleary and Witten 1984, and of PPMd) costs a full fit per
character. `online_log2_probabilities` gives exactly the scores of
`segment=1` by updating the counts instead: after each character it adds
the k-grams that end there to the count tables, and with them the
statistics the smoothing reads (Chen and Goodman 1998, section 3):

- per k-gram g = (h, w), its count: the raw count c(h w) at the highest
  order (and at every order for Witten-Bell); for Kneser-Ney's lower
  orders the continuation count N1+(. h w), which grows by one when a
  (k+1)-gram ending in h w occurs for the first time;
- per context h, the total sum_w c(h w) and the numbers of followers seen
  once, twice and three or more times, N1(h .), N2(h .), N3+(h .) (eq. (18));
- per order, the counts of counts n1..n4 that set the modified Kneser-Ney
  discounts D1, D2, D3+ (eq. (19)), so the discounts move with the counts.

The tables of the training text are `CharNGram.fit`'s arrays, looked up
once for all positions; only the scored text's additions live in
dictionaries, so the cost is one fit plus a few dictionary operations per
order and character.

References:
    John G. Cleary and Ian H. Witten (1984), "Data Compression Using
    Adaptive Coding and Partial String Matching", IEEE Trans. Comm. 32(4).
    Stanley F. Chen and Joshua Goodman (1998), "An Empirical Study of
    Smoothing Techniques for Language Modeling", Harvard TR-10-98.
"""

from collections import defaultdict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from models.classical.ngram import (
    CharNGram,
    _lookup,
    modified_discounts,
    refitted_log2_probabilities,
)


class _Table:
    """One order's counts: the training text's (`ngram._Order` arrays, looked
    up once per position) plus the scored text's additions (dictionaries)."""

    def __init__(self, order, kneser_ney):
        self.added = defaultdict(int)  # gram tuple -> added count
        self.stats = {}  # context tuple -> added [total, n1, n2, n3]
        self.count_of_counts = [order.count_of_counts(c) for c in (1, 2, 3, 4)]  # n1..n4
        self.kneser_ney = kneser_ney
        self.discounts = None  # (D1, D2, D3+), recomputed after a change

    def add(self, gram, base_count):
        """Adds one occurrence of `gram`, whose training count is `base_count`."""
        before = base_count + self.added[gram]
        self.added[gram] += 1
        stats = self.stats.setdefault(gram[:-1], [0, 0, 0, 0])
        stats[0] += 1
        if before < 3:  # the follower moves from bucket `before` to `before + 1`
            if before > 0:
                stats[before] -= 1
            stats[before + 1] += 1
        for c, change in ((before, -1), (before + 1, 1)):
            if 1 <= c <= 4:
                self.count_of_counts[c - 1] += change
        self.discounts = None

    def probability(self, gram, base_count, base_context, lower):
        """p(w | h) of `gram` = (h, w) at this order, interpolated with the
        lower orders' `lower` (`CharNGram.probabilities`'s formulas); None
        where the context was never seen (the lower order's stands)."""
        c = base_count + self.added.get(gram, 0)
        added = self.stats.get(gram[:-1])
        total, n1, n2, n3 = ([x + y for x, y in zip(base_context, added, strict=True)]
                             if added else base_context)
        if total == 0:
            return None
        if self.kneser_ney:
            if self.discounts is None:
                self.discounts = modified_discounts(*self.count_of_counts)
            d1, d2, d3 = self.discounts
            discount = 0.0 if c == 0 else d1 if c == 1 else d2 if c == 2 else d3
            return (max(c - discount, 0.0) + (d1 * n1 + d2 * n2 + d3 * n3) * lower) / total
        followers = n1 + n2 + n3
        return (c + followers * lower) / (total + followers)


def _training_lookups(model, order, grams):
    """`(count, context)`, lists over the N grams `[N, k]`: the training
    text's count of each in `order` (an `ngram._Order` of `model`) and the
    `[total, n1, n2, n3]` of its context (Python numbers, for the loop)."""
    code = model.codes(grams)  # negative where the context was never seen
    context = code // model.vocabulary_size
    stats = [_lookup(order.contexts, v, context) for v in (order.total, order.n1, order.n2,
                                                          order.n3)]
    return (_lookup(order.codes, order.counts, code).tolist(),
            np.stack(stats, axis=1).tolist())


def online_log2_probabilities(train_ids, ids, vocabulary_size, order=5, method="kneser_ney"):
    """log2 p(ids[t] | history) for t = 1..N-1 (`[N-1]`), each character
    scored by the n-gram model of the training text and every scored
    character before it: `refitted_log2_probabilities(train_ids, ids, 1,
    ...)`, computed by updating counts rather than refitting.

    As there, the histories are those of `CharNGram.windows(ids)` (the
    scored text alone, left-padded with 0), while the counts join the
    training text to the scored prefix as one stream.
    """
    train_ids = np.asarray(train_ids, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    n, kneser_ney = order, method == "kneser_ney"
    model = CharNGram(vocabulary_size, order=n, method=method).fit(train_ids)
    if len(ids) < 2:
        return np.zeros(0)
    # KN's lower orders hold continuation counts; a (k+1)-gram's first
    # occurrence is read from the raw counts (Witten-Bell's tables).
    raw = CharNGram(vocabulary_size, order=n, method="witten_bell").fit(train_ids) \
        if kneser_ney else model
    tables = [None] + [_Table(model.orders[k], kneser_ney) for k in range(1, n + 1)]
    raw_added = [None] + [defaultdict(int) for _ in range(n + 1)]

    # The grams ending at each scored position of the stream train ++ ids
    # (a leading 0 where they would reach before it): grams[k] [N, k].
    stream = np.concatenate([np.zeros(n + 1, np.int64), train_ids, ids])
    ends = sliding_window_view(stream, n + 1)[-len(ids):]  # [N, n + 1]
    grams = {k: ends[:, -k:] for k in range(1, n + 2)}
    counts = {k: _training_lookups(model, model.orders[k], grams[k]) for k in range(1, n + 1)}
    raw_counts = {k: _lookup(raw.orders[k].codes, raw.orders[k].counts,
                             raw.codes(grams[k])).tolist()
                  for k in range(2, n + 1) if kneser_ney}

    windows = model.windows(ids)  # [N-1, n]: the histories the refits score with
    out = np.empty(len(ids) - 1)
    for t in range(len(ids)):
        if t >= 1:
            p = 1.0 / (vocabulary_size - 1)  # order 0: uniform over ids 1..V-1
            for k in range(1, n + 1):
                gram = tuple(windows[t - 1, n - k:].tolist())
                if k > 1 and gram[0] == 0:
                    break  # the history does not reach back this far
                count, context = counts[k]
                q = tables[k].probability(gram, count[t], context[t], p)
                p = p if q is None else q
            out[t - 1] = p
        # count ids[t]: the k-grams ending there
        for k in range(1, n + 1):
            gram = tuple(grams[k][t].tolist())
            if gram[0] == 0:
                continue  # reaches before the stream
            if kneser_ney and k < n:
                longer = tuple(grams[k + 1][t].tolist())
                if longer[0] == 0 or raw_counts[k + 1][t] + raw_added[k + 1][longer] > 0:
                    continue  # no (k+1)-gram, or not its first occurrence
            tables[k].add(gram, counts[k][0][t])
        if kneser_ney:
            for k in range(2, n + 1):
                gram = tuple(grams[k][t].tolist())
                if gram[0] != 0:
                    raw_added[k][gram] += 1
    return np.log2(out)


def adapting_log2_probabilities(train_ids, ids, segment, **kwargs):
    """`refitted_log2_probabilities(train_ids, ids, segment, **kwargs)`: the
    n-gram refitted on the training text and the scored prefix every
    `segment` characters, a segment of 1 by `online_log2_probabilities`
    (the same scores, without a fit per character)."""
    if segment == 1:
        return online_log2_probabilities(train_ids, ids, **kwargs)
    return refitted_log2_probabilities(train_ids, ids, segment, **kwargs)
