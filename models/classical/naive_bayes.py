"""Multinomial naive Bayes over token n-grams: the classify task's baseline.

Naive Bayes over character n-grams is the classic language identifier
(Dunning 1994; Cavnar and Trenkle 1994) and over word n-grams a strong
sentiment baseline (Wang and Manning 2012): the bar a recurrent classifier
has to clear. It has a closed form, so it needs nothing beyond NumPy and
SciPy.

References:
    Manning, Raghavan and Schuetze, "Introduction to Information
    Retrieval", 2008, chapter 13 (multinomial naive Bayes, Laplace
    smoothing).
"""

import numpy as np


class NaiveBayes:
    """Multinomial naive Bayes over token n-grams of orders 1..`order`, with
    Laplace smoothing `alpha` (Manning, Raghavan and Schuetze 2008, ch. 13):

        class = argmax_c log P(c) + sum_g count(g) log P(g | c),
        P(g | c) = (count(g, c) + alpha) / (sum_g' count(g', c) + alpha |V|)

    n-grams unseen in training are ignored. With `markers`, n-grams include
    a begin and an end marker, so "^th" and "ng$" are features (character
    n-grams).

    Args:
        labels: the class names, in id order.
        order: the highest n-gram order.
        alpha: the Laplace smoothing count. Default 1.0.
        markers: add the begin and end markers. Default False.

    Example:

    >>> nb = NaiveBayes(["a", "b"], order=1).fit([["x"], ["y"]], ["a", "b"])
    >>> nb.predict([["x", "x"], ["y"]])
    ['a', 'b']
    """

    def __init__(self, labels, order, alpha=1.0, markers=False):
        self.labels = list(labels)
        self.order = order
        self.alpha = alpha
        self.markers = markers
        self.index = {}  # n-gram -> feature column, filled by `fit`

    def ngrams(self, tokens):
        seq = ["\x02", *tokens, "\x03"] if self.markers else tokens
        return [tuple(seq[i:i + n]) for n in range(1, self.order + 1)
                for i in range(len(seq) - n + 1)]

    def features(self, token_lists, grow=False):
        """Sparse n-gram counts `[N, F]`; `grow` adds new n-grams to the index."""
        from scipy import sparse

        rows, cols = [], []
        for row, tokens in enumerate(token_lists):
            for gram in self.ngrams(tokens):
                col = self.index.get(gram)
                if col is None and grow:
                    col = self.index[gram] = len(self.index)
                if col is not None:
                    rows.append(row)
                    cols.append(col)
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                 shape=(len(token_lists), len(self.index)))

    def fit(self, token_lists, labels):
        from scipy import sparse

        self.index = {}
        x = self.features(token_lists, grow=True)  # [N, F]
        y = np.array([self.labels.index(label) for label in labels])
        onehot = sparse.csr_matrix((np.ones(len(y)), (np.arange(len(y)), y)),
                                   shape=(len(y), len(self.labels)))  # [N, C]
        counts = np.asarray((onehot.T @ x).todense()) + self.alpha  # [C, F]
        self.log_likelihood = np.log(counts / counts.sum(1, keepdims=True))  # [C, F]
        prior = np.bincount(y, minlength=len(self.labels)) + 1e-12
        self.log_prior = np.log(prior / prior.sum())  # [C]
        return self

    def predict(self, token_lists):
        x = self.features(token_lists)  # [N, F]
        scores = x @ self.log_likelihood.T + self.log_prior  # [N, C]
        return [self.labels[i] for i in np.asarray(scores).argmax(1)]
