"""A linear model over TF-IDF n-grams: the classify task's strong baseline.

Logistic regression over character n-grams is what language-identification
users reach for first (Cavnar and Trenkle 1994 for the n-gram profile;
langid.py, Lui and Baldwin 2012, and fastText, Joulin et al. 2017, for
linear models over them), and over word n-grams a strong sentiment
baseline (Wang and Manning 2012). scikit-learn has every part:
`TfidfVectorizer` (character n-grams within word boundaries, `char_wb`,
or word n-grams) and `LogisticRegression` (multinomial, L2).

The n-gram range and the inverse regularisation strength C are chosen on
the validation split from a small grid (`GRIDS`, `C_GRID`); every model of
the grid is fitted on the training split only, so validation and test texts
never enter the vocabulary or the IDF weights.

References:
    Joulin, Grave, Bojanowski and Mikolov, "Bag of Tricks for Efficient
    Text Classification", EACL 2017.
    Lui and Baldwin, "langid.py: An Off-the-shelf Language Identification
    Tool", ACL 2012.
    Manning, Raghavan and Schuetze, "Introduction to Information
    Retrieval", 2008, section 6.2 (tf-idf weighting, sublinear tf scaling).
"""

import numpy as np

#: The n-gram ranges tried on validation, per analyzer: characters within
#: word boundaries (`classify.unit=char`), or words. On the embedded words
#: 1-3-grams and C = 3 were tried too and never scored best on validation;
#: that grid of nine fits took 23 minutes on 2 cores shared with other jobs.
GRIDS = {"char_wb": ((1, 4), (1, 5)), "word": ((1, 1), (1, 2))}
#: The inverse regularisation strengths tried on validation.
C_GRID = (10.0, 30.0)


class LinearNGram:
    """Logistic regression over sublinear TF-IDF n-gram features.

    Args:
        labels: the class names, in id order (the columns of `predict_proba`).
        analyzer: `"char_wb"` (character n-grams inside word boundaries,
            words padded with a space) or `"word"` (whitespace-separated
            words).
        ngram_range: `(min_n, max_n)`.
        C: inverse L2 regularisation strength. Default 10.
        max_iter: L-BFGS iterations. Default 300.

    Example:

    >>> m = LinearNGram(["a", "b"], "char_wb", (1, 2)).fit(["xx", "yy"], ["a", "b"])
    >>> m.predict(["xxx", "y"])
    ['a', 'b']
    """

    def __init__(self, labels, analyzer="char_wb", ngram_range=(1, 5), C=10.0, max_iter=300):
        if analyzer not in GRIDS:
            raise ValueError(f"`analyzer` must be one of {tuple(GRIDS)}. "
                             f"Received: analyzer={analyzer!r}")
        self.labels = list(labels)
        self.analyzer = analyzer
        self.ngram_range = tuple(ngram_range)
        self.C = C
        self.max_iter = max_iter
        self.vectorizer = self.classifier = None  # set by `fit`

    def make_vectorizer(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Texts arrive lower-cased by the task's tokeniser; words are split on
        # whitespace as the network reads them.
        word = {"tokenizer": str.split, "token_pattern": None} if self.analyzer == "word" else {}
        return TfidfVectorizer(analyzer=self.analyzer, ngram_range=self.ngram_range,
                               sublinear_tf=True, lowercase=False, dtype=np.float32, **word)

    def fit(self, texts, labels, features=None):
        """Fits on `texts`; `features` are `(vectorizer, x)` already fitted
        on these texts with this model's analyzer and range (`select` shares
        them across values of C)."""
        from sklearn.linear_model import LogisticRegression

        self.vectorizer, x = features or self.vectorize(texts)  # x: [N, F]
        y = np.array([self.labels.index(label) for label in labels])
        self.classifier = LogisticRegression(C=self.C, max_iter=self.max_iter)
        self.classifier.fit(x, y)
        return self

    def vectorize(self, texts):
        vectorizer = self.make_vectorizer()
        return vectorizer, vectorizer.fit_transform(texts)

    def predict_proba(self, texts):
        """Class probabilities `[N, C]`, columns in `labels` order (a class
        absent from the training texts gets probability 0)."""
        x = self.vectorizer.transform(texts)  # [N, F]
        seen = self.classifier.predict_proba(x)  # [N, classes seen in training]
        out = np.zeros((x.shape[0], len(self.labels)), "float32")
        out[:, self.classifier.classes_] = seen
        return out

    def predict(self, texts):
        return [self.labels[i] for i in self.predict_proba(texts).argmax(1)]

    @classmethod
    def select(cls, labels, analyzer, train, validation, score, grid=None, c_grid=C_GRID,
               progress=None):
        """The model of the grid with the best validation score, fitted on
        the training split only.

        Args:
            train, validation: `(texts, labels)` of each split.
            score: `score(true_labels, predicted_labels)` -> float, higher
                better (ties go to the earlier, smaller model of the grid).
            grid: n-gram ranges; default `GRIDS[analyzer]`.
            progress: optional; `progress(k)` is called after the k-th fit.

        Returns:
            `(model, table)`: the chosen fitted model, and one
            `{"ngram_range", "C", "validation"}` row per model tried.
        """
        best, table = None, []
        for ngram_range in grid or GRIDS[analyzer]:
            features = None
            for c in c_grid:
                model = cls(labels, analyzer, ngram_range, C=c)
                features = features or model.vectorize(train[0])
                model.fit(train[0], train[1], features=features)
                value = score(validation[1], model.predict(validation[0]))
                table.append({"ngram_range": list(ngram_range), "C": c, "validation": value})
                if best is None or value > best[0]:
                    best = (value, model)
                if progress:
                    progress(len(table))
        return best[1], table
