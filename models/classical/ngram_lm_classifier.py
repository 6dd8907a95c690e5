"""One character language model per class: the generative classifier of
language identification.

Dunning (1994) identified the language of short strings with a Markov model
of characters per language and Bayes' rule, and found it more accurate than
n-gram rank profiles on strings of a few characters. Here each class gets an
interpolated modified Kneser-Ney model of order n (`models.classical.ngram`,
the Markov models of Wang, "Recurrent Neural Network", CUHK 2019, slides
7-8) fitted on its training texts, and a text is scored under each:

    log p(c | x) = log p(c) + sum_t log p_c(x_t | x_{t-n+1} .. x_{t-1})
                   + log p_c(</w> | x_{T-n+2} .. x_T) - log Z(x)

Every text starts from n-1 boundary symbols and ends with one, so word
beginnings and endings (the suffixes that tell languages apart) are
modelled. The prior p(c) is the class's share of the training texts.

References:
    Ted Dunning, "Statistical Identification of Language", Computing
    Research Laboratory, New Mexico State University, MCCS-94-273, 1994.
    Stanley F. Chen and Joshua Goodman, "An Empirical Study of Smoothing
    Techniques for Language Modeling", Harvard TR-10-98, 1998.
"""

import numpy as np

from models.classical.ngram import CharNGram

#: The orders tried on validation by `NGramLMClassifier.select`.
ORDERS = (3, 4, 5, 6, 7)

OUT_OF_VOCABULARY, BOUNDARY = 1, 2  # characters are 3..V-1


class NGramLMClassifier:
    """A character n-gram language model per class, combined by Bayes' rule.

    Args:
        labels: the class names, in id order (the columns of `predict_proba`).
        order: n of every class's model. Default 5.
        method: the smoothing of `CharNGram`. Default `"kneser_ney"`.

    Example:

    >>> m = NGramLMClassifier(["a", "b"], order=2).fit(["xx", "xy"], ["a", "b"])
    >>> m.predict(["xxx", "yy"])
    ['a', 'b']
    """

    def __init__(self, labels, order=5, method="kneser_ney"):
        if order < 2:
            raise ValueError(f"`order` must be at least 2. Received: order={order}")
        self.labels = list(labels)
        self.order = order
        self.method = method
        self.characters = self.models = self.log2_prior = None  # set by `fit`

    def encode(self, texts):
        """`(stream, starts, ends)`: the texts as one id stream, each after
        n-1 boundary symbols, with one boundary at the end; text k's
        characters and its end boundary are `stream[starts[k]:ends[k] + 1]`."""
        pad = [BOUNDARY] * (self.order - 1)
        stream, starts, ends = [], [], []
        for text in texts:
            stream += pad
            starts.append(len(stream))
            stream += [self.characters.get(ch, OUT_OF_VOCABULARY) for ch in text]
            ends.append(len(stream))
        stream.append(BOUNDARY)
        return np.array(stream, np.int64), np.array(starts), np.array(ends)

    def fit(self, texts, labels):
        """Fits one model per class on its texts; returns self. Characters
        seen in no training text are out of vocabulary for every class."""
        self.characters = {ch: i + 3 for i, ch in enumerate(sorted({c for t in texts for c in t}))}
        size = len(self.characters) + 3
        index = np.array([self.labels.index(label) for label in labels])
        counts = np.bincount(index, minlength=len(self.labels))
        with np.errstate(divide="ignore"):
            self.log2_prior = np.log2(counts / counts.sum())  # -inf for a class without texts
        self.models = []
        for c in range(len(self.labels)):
            own = [t for t, i in zip(texts, index, strict=True) if i == c]
            stream = self.encode(own)[0] if own else None
            self.models.append(
                CharNGram(size, self.order, self.method).fit(stream) if own else None)
        return self

    def log2_likelihoods(self, texts):
        """`[N, C]` log2 p(text | class), end boundary included (-inf for a
        class without training texts)."""
        stream, starts, ends = self.encode(texts)
        out = np.full((len(texts), len(self.labels)), -np.inf)
        for c, model in enumerate(self.models):
            if model is None:
                continue
            # total[i] = log2 p of stream[1..i]; text k predicts stream[starts[k]..ends[k]].
            total = np.concatenate([[0.0], np.cumsum(model.log2_probabilities(stream))])
            out[:, c] = total[ends] - total[starts - 1]
        return out

    def predict_proba(self, texts):
        """Class posteriors `[N, C]`, columns in `labels` order."""
        scores = self.log2_likelihoods(texts) + self.log2_prior  # [N, C]
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp2(scores)
        return (p / p.sum(axis=1, keepdims=True)).astype("float32")

    def predict(self, texts):
        return [self.labels[i] for i in self.predict_proba(texts).argmax(1)]

    @classmethod
    def select(cls, labels, train, validation, score, orders=ORDERS, progress=None):
        """The order with the best validation score (ties: the smaller),
        fitted on the training split only.

        Args:
            train, validation: `(texts, labels)` of each split.
            score: `score(true_labels, predicted_labels)` -> float, higher better.
            progress: optional; `progress(k)` is called after the k-th fit.

        Returns:
            `(model, table)`: the chosen fitted model and one
            `{"order", "validation"}` row per order tried.
        """
        best, table = None, []
        for order in orders:
            model = cls(labels, order).fit(*train)
            value = score(validation[1], model.predict(validation[0]))
            table.append({"order": order, "validation": value})
            if best is None or value > best[0]:
                best = (value, model)
            if progress:
                progress(len(table))
        return best[1], table
