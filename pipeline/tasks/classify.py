"""The classify task: many-to-one text classification (DESIGN section 3).

Texts are read as characters or words (`classify.unit`), embedded, encoded by
a bidirectional `models.Recurrent` stack and pooled to one vector (last
state or attention) before a softmax layer (`models.classifier`). Default
data: which of ten languages a word belongs to (`wordfreq_langid`);
`--data tfds:imdb_reviews` (prepared beforehand) or a TSV/CSV `text,label`
file for anything else.

Evaluation reports accuracy and macro-F1 on the test split, a confusion
matrix PNG, and two baselines fitted on the same training split in the same
run: the majority class, and multinomial naive Bayes over the n-grams of the
same tokens the network reads (characters 1-3 or words 1-2, cut to the
same `data.max_length`). Naive Bayes over character n-grams is the classic
language identifier (Dunning 1994; Cavnar and Trenkle 1994) and NB over word
n-grams a strong sentiment baseline (Wang and Manning 2012): the honest bar
a recurrent network has to clear. It has a closed form, so it needs no
dependency beyond NumPy and SciPy.
"""

import collections
import os

import keras
import numpy as np
import tensorflow as tf

from models.classifier import POOLINGS
from pipeline.core import atomic, evaluation, registry, rundir, training
from pipeline.core import export as export_lib
from pipeline.core.errors import DataError
from pipeline.core.schema import above, at_least, one_of
from pipeline.data import builders as data_lib
from pipeline.data import vocab as vocab_lib
from pipeline.inputs import classify as classify_inputs

DEFAULTS = {
    # max_length: tokens read per text (training, evaluation and the export);
    # max_train / max_eval: seeded random subsets of the splits (0 = all).
    "data": {"batch_size": 128, "max_length": 400, "max_train": 0, "max_eval": 0, "seed": 0},
    # attention_units 0 = units; pooling "last" or "attention".
    "model": {"embedding_dim": 32, "cell": "lstm", "units": 64, "num_layers": 1,
              "bidirectional": True, "pooling": "attention", "attention_units": 0,
              "dropout": 0.1},
    # schedule: "constant" or "cosine" (pipeline.core.training.optimizer).
    "train": {"epochs": 10, "learning_rate": 1e-2, "schedule": "constant", "clipnorm": 1.0,
              "patience": 2, "seed": 0, "jit_compile": False, "strategy": "default", "ema": 0.0},
    # Naive Bayes n-gram orders 1..char_order (unit char) or 1..word_order
    # (unit word), Laplace smoothing alpha.
    "baseline": {"char_order": 3, "word_order": 2, "alpha": 1.0},
    # Prepare option (pipeline.prepare.OPTIONS): read characters or words.
    "classify": {"unit": "char"},
}

#: Keys the later stages must give as the run was made with
#: (`pipeline.prepare.check_run`): the tokens and how many of them the model reads.
RUN_KEYS = ("classify.unit", "data.max_length")

#: Limits of the task's own keys, beside `pipeline.core.schema.COMMON`.
LIMITS = {
    "data.max_length": at_least(1), "model.pooling": one_of(*POOLINGS),
    "baseline.char_order": at_least(1), "baseline.word_order": at_least(1),
    "baseline.alpha": above(0),
}

PRESETS = {
    "smoke": {"data": {"max_train": 400, "max_eval": 100, "batch_size": 32},
              "model": {"units": 8, "embedding_dim": 8},
              "train": {"epochs": 1}},
    "quick": {"train": {"epochs": 8}},
    "full": {"model": {"units": 128, "num_layers": 2, "dropout": 0.2},
             "train": {"epochs": 30, "learning_rate": 5e-3, "patience": 4}},
}

#: The models `pipeline.compare --task classify` trains.
VARIANTS = {
    "lstm-last": {"model": {"cell": "lstm", "pooling": "last"}},
    "lstm-attention": {"model": {"cell": "lstm", "pooling": "attention"}},
    "gru": {"model": {"cell": "gru", "pooling": "attention"}},
    "elman": {"model": {"cell": "elman", "pooling": "attention"}},
}

#: The metrics `pipeline.compare` tabulates, the first one charted.
COMPARE_METRICS = ("macro_f1", "accuracy", "baseline_nb_macro_f1", "baseline_nb_accuracy")

SAMPLE_TEXTS = ["hello", "bonjour", "danke", "gracias", "grazie", "obrigado", "bedankt",
                "tack", "dziękuję", "teşekkürler"]


# ------------------------------------------------------------------ data
def load_prepared(config, run_dir):
    """`{"tokens": [...], "labels": [...], "unit": str}` of a prepared run.

    Raises:
        UsageError: the run was prepared with another `classify.unit` than
            the configuration asks for.
    """
    from pipeline.core.rundir import check_prepared_option

    data_dir = os.path.join(run_dir, "data")
    unit = check_prepared_option(run_dir, "classify.unit", config["classify"]["unit"])
    return {name: vocab_lib.load_vocabulary(os.path.join(data_dir, f"vocab_{name}.json"))
            for name in ("tokens", "labels")} | {"unit": unit}


def subset(examples, limit, seed):
    """At most `limit` examples (0 = all), a seeded random choice in order."""
    if not limit or limit >= len(examples):
        return examples
    chosen = np.random.default_rng(seed).choice(len(examples), size=limit, replace=False)
    return [examples[i] for i in sorted(chosen)]


def splits(task_data, config):
    """The train, validation and test examples the configuration asks for."""
    d = config["data"]
    out = {"train": subset(task_data.splits["train"], d["max_train"], d["seed"])}
    for split in ("validation", "test"):
        out[split] = subset(task_data.splits[split], d["max_eval"], d["seed"])
    for split, examples in out.items():
        if not examples:
            raise DataError(task_data.source, f"no {split} examples; classify needs train, "
                            "validation and test texts (see the split rule in the README)")
    return out


def as_dataset(examples):
    texts, labels = zip(*examples, strict=True)
    return tf.data.Dataset.from_tensor_slices((list(texts), list(labels)))


# ----------------------------------------------------------------- model
def build_model(config, prepared):
    """The `TextClassifier` the configuration describes."""
    from models.classifier import TextClassifier

    m = dict(config["model"])
    m["attention_units"] = m["attention_units"] or None
    # ids 0 and 1 are padding and out-of-vocabulary (pipeline.data.vocab)
    model = TextClassifier(len(prepared["tokens"]) + 2, len(prepared["labels"]), **m,
                           name="classifier")
    model(np.ones((1, 2), "int32"))
    return model


def train(config, run_dir, data=None, data_dir=None):
    """Trains (or resumes training) and saves `<run_dir>/model.keras`.

    Rerunning the same command after a kill resumes from the last epoch
    (`keras.callbacks.BackupAndRestore`). Returns the Keras history dict.
    """
    rundir.ensure_prepared(registry.get(config["task"]), config, run_dir, data, data_dir)
    prepared = load_prepared(config, run_dir)
    examples = splits(data_lib.load("classify", data=data, data_dir=data_dir), config)
    keras.utils.set_random_seed(config["train"]["seed"])
    train_batches, valid_batches = training_batches(config, prepared, examples)
    return training.fit(lambda: build_model(config, prepared), train_batches, valid_batches,
                        config, run_dir, loss=loss(), metrics=["accuracy"],
                        total_steps=total_steps(config, examples))


# The pieces of `train` that the tuner's `ClassifyHyperModel` trains with too.
def loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def training_batches(config, prepared, examples):
    """`(train, validation)` batches of the `splits` examples."""
    d = config["data"]
    options = {"unit": prepared["unit"], "batch_size": d["batch_size"],
               "max_length": d["max_length"]}
    train_batches = classify_inputs.batches(as_dataset(examples["train"]), prepared["tokens"],
                                            prepared["labels"], training=True, seed=d["seed"],
                                            **options)
    valid_batches = classify_inputs.batches(as_dataset(examples["validation"]),
                                            prepared["tokens"], prepared["labels"], **options)
    return train_batches, valid_batches


def total_steps(config, examples):
    """Optimizer steps of the whole run, for the cosine schedule."""
    # Bucketing leaves at most one short batch per bucket each epoch.
    steps = -(-len(examples["train"]) // config["data"]["batch_size"]) \
        + len(classify_inputs.BOUNDARIES) + 1
    return steps * config["train"]["epochs"]


def load_trained(config, run_dir):
    """The trained model of a run, and its prepared vocabularies and unit."""
    import models.classifier  # noqa: F401  (registers TextClassifier)

    prepared = load_prepared(config, run_dir)  # first: it checks classify.unit
    return training.load_trained(run_dir), prepared


# ---------------------------------------------------------------- serving
class ClassifierServer(tf.Module):
    """Texts in, labels and class probabilities out: tokenisation, model and
    softmax in one graph, what the export serves (DESIGN section 5).

    Texts are tokenised by `pipeline.inputs.classify.tokenize` (lower-cased,
    characters or words), exactly as in training, and cut to `max_length`
    tokens; tokens outside the training vocabulary map to the
    out-of-vocabulary id. An empty text has no tokens: its pooled vector is
    zero and it gets the class the output bias prefers.

    Args:
        model: a trained `TextClassifier`.
        prepared: `{"tokens", "labels", "unit"}` of `load_prepared`.
        max_length: the `data.max_length` the model was trained with.
    """

    def __init__(self, model, prepared, max_length):
        super().__init__()
        self.model = model
        self.unit = prepared["unit"]
        self.max_length = max_length
        self.tokens = vocab_lib.lookup(prepared["tokens"])
        self.tokens(tf.constant([""]))  # build the lookup (export tracks built layers)
        self.labels = tf.constant(prepared["labels"])

    def encode(self, texts):
        """`[B]` strings -> token ids `[B, S]`, right-padded with 0, S >= 1."""
        tokens = classify_inputs.tokenize(texts, self.unit)[:, : self.max_length]
        ids = self.tokens(tokens).to_tensor()  # [B, S]
        return tf.pad(ids, [[0, 0], [0, tf.maximum(1 - tf.shape(ids)[1], 0)]])  # [B, max(S, 1)]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, texts):
        """`(label [B] string, probabilities [B, C] float32)` for texts `[B]`;
        one traced graph, the one the export serves."""
        logits = self.model(self.encode(texts))  # [B, C]
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        return tf.gather(self.labels, tf.argmax(probabilities, axis=-1)), probabilities


def server_for(config, run_dir):
    model, prepared = load_trained(config, run_dir)
    return ClassifierServer(model, prepared, config["data"]["max_length"]), prepared


def predict(server, texts, batch_size=256):
    """`(labels [N] str, probabilities [N, C])` for a list of texts, batched
    by length so that little time goes to padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    labels, probabilities = [None] * len(texts), [None] * len(texts)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        label, probs = server(tf.constant([texts[i] for i in chunk], tf.string))
        for i, name, p in zip(chunk, label.numpy(), probs.numpy(), strict=True):
            labels[i], probabilities[i] = name.decode("utf-8"), p
    return labels, np.array(probabilities, "float32").reshape(len(texts), -1)


def serving_endpoint(server):
    """The `serving_default` function: `text [B]` -> `{"label", "probabilities"}`."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(text):
        label, probabilities = server(text)
        return {"label": label, "probabilities": probabilities}

    return serve


def export(config, run_dir, directory):
    """Writes the SavedModel of a trained run into `directory` (which must not
    exist; the caller renames it into place). Returns the metadata dict."""
    server, prepared = server_for(config, run_dir)
    export_lib.write_archive(directory, [server.model, server.tokens],
                             {"serving_default": serving_endpoint(server)})
    return {"model": server.model.get_config(), "unit": prepared["unit"],
            "max_length": server.max_length, "labels": prepared["labels"],
            "inputs": {"text": "string [B]"},
            "outputs": {"label": "string [B], the most probable class",
                        "probabilities": "float32 [B, C], softmax over `labels` in order"}}


def show_export(path, config, run_dir):
    """Prints the export's answers for `SAMPLE_TEXTS`, read back from the
    SavedModel as a TF Serving client gets them."""
    serve = tf.saved_model.load(path).signatures["serving_default"]
    answers = serve(text=tf.constant(SAMPLE_TEXTS))
    print("answers of the export:")
    for text, label, probs in zip(SAMPLE_TEXTS, answers["label"].numpy(),
                                  answers["probabilities"].numpy(), strict=True):
        print(f"  {text:<15} {label.decode():<10} {probs.max():.3f}")


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a function that classifies `count` test texts with the
    serving graph, for `pipeline.compare`'s inference timing."""
    examples = splits(data_lib.load("classify", data=data, data_dir=data_dir), config)["test"]
    texts = tf.constant([text for text, _ in examples[:count]], tf.string)
    server, _ = server_for(config, run_dir)
    return (lambda: server(texts)), int(texts.shape[0])


def predict_lines(config, run_dir, texts):
    """`text<TAB>label<TAB>probability` lines for `texts`."""
    server, _ = server_for(config, run_dir)
    labels, probabilities = predict(server, list(texts))
    return [f"{t}\t{label}\t{p.max():.3f}"
            for t, label, p in zip(texts, labels, probabilities, strict=True)]


# ------------------------------------------------------------- evaluation
def scores(true, predicted, labels):
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion
    matrix (rows true, columns predicted) of label-name lists.

    Macro-F1 averages F1 = 2TP / (2TP + FP + FN) over the classes that occur
    in `true` or `predicted` (as scikit-learn's default does), so a class
    absent from a small test split does not count as a zero.
    """
    index = {name: i for i, name in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), "int64")
    np.add.at(confusion, ([index[t] for t in true], [index[p] for p in predicted]), 1)
    tp = np.diag(confusion).astype("float64")
    support, predicted_count = confusion.sum(1), confusion.sum(0)
    seen = (support + predicted_count) > 0
    f1 = np.divide(2 * tp, support + predicted_count, out=np.zeros_like(tp), where=seen)
    precision = np.divide(tp, predicted_count, out=np.zeros_like(tp), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    per_class = {name: {"precision": float(precision[i]), "recall": float(recall[i]),
                        "f1": float(f1[i]), "support": int(support[i])}
                 for i, name in enumerate(labels)}
    return {"accuracy": float(tp.sum() / max(len(true), 1)),
            "macro_f1": float(f1[seen].mean()) if seen.any() else 0.0,
            "per_class": per_class, "confusion": confusion.tolist()}


def token_lists(texts, unit, max_length, chunk=1024):
    """The tokens the network reads of each text (same tokeniser, same cut)."""
    out = []
    for start in range(0, len(texts), chunk):
        ragged = classify_inputs.tokenize(tf.constant(texts[start:start + chunk], tf.string),
                                          unit)[:, :max_length]
        out.extend([t.decode("utf-8") for t in row] for row in ragged.to_list())
    return out


class NaiveBayes:
    """Multinomial naive Bayes over token n-grams of orders 1..`order`, with
    Laplace smoothing `alpha` (Manning, Raghavan and Schuetze 2008, ch. 13):

        class = argmax_c log P(c) + sum_g count(g) log P(g | c),
        P(g | c) = (count(g, c) + alpha) / (sum_g' count(g', c) + alpha |V|)

    n-grams unseen in training are ignored. Character n-grams include a
    begin and an end marker, so "^th" and "ng$" are features.
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


def baselines(examples, labels, unit, config, split="test"):
    """Scores of the majority class and of n-gram naive Bayes, both fitted on
    `examples["train"]` and scored on `examples[split]`."""
    b, max_length = config["baseline"], config["data"]["max_length"]
    train_labels = [label for _, label in examples["train"]]
    scored_labels = [label for _, label in examples[split]]
    majority = collections.Counter(train_labels).most_common(1)[0][0]
    order = b["char_order"] if unit == "char" else b["word_order"]
    nb = NaiveBayes(labels, order, alpha=b["alpha"], markers=unit == "char")
    nb.fit(token_lists([t for t, _ in examples["train"]], unit, max_length), train_labels)
    predicted = nb.predict(token_lists([t for t, _ in examples[split]], unit, max_length))
    return {
        "majority": {"label": majority,
                     **scores(scored_labels, [majority] * len(scored_labels), labels)},
        "naive_bayes": {"order": order, "alpha": b["alpha"],
                        **scores(scored_labels, predicted, labels)},
    }


def evaluate(config, run_dir, data=None, data_dir=None, plot_texts=6, split="test"):
    """Classifies the test split (or `split`) with the serving graph and
    writes `metrics.json`, `plots/confusion_matrix.png` and, with attention
    pooling, `plots/attention.png` (`pipeline.core.evaluation.output_dir`).

    Returns the metrics dict: `accuracy`, `macro_f1`, the same for the two
    baselines (`baseline_majority_*`, `baseline_nb_*`), the number of test
    texts, per-class scores, the confusion matrix and a sample of errors.
    """
    server, prepared = server_for(config, run_dir)
    labels = prepared["labels"]
    examples = splits(data_lib.load("classify", data=data, data_dir=data_dir), config)
    texts = [t for t, _ in examples[split]]
    true = [label for _, label in examples[split]]
    predicted, _ = predict(server, texts)
    result = scores(true, predicted, labels)
    base = baselines(examples, labels, prepared["unit"], config, split)
    metrics = {
        "accuracy": result["accuracy"], "macro_f1": result["macro_f1"],
        "baseline_majority_accuracy": base["majority"]["accuracy"],
        "baseline_majority_macro_f1": base["majority"]["macro_f1"],
        "baseline_nb_accuracy": base["naive_bayes"]["accuracy"],
        "baseline_nb_macro_f1": base["naive_bayes"]["macro_f1"],
        "texts": len(texts), "train_texts": len(examples["train"]), "unit": prepared["unit"],
        "labels": labels, "per_class": result["per_class"], "confusion": result["confusion"],
        "baselines": base, "split": split,
        "errors": [{"text": t[:200], "label": y, "predicted": p}
                   for t, y, p in zip(texts, true, predicted, strict=True) if y != p][:20],
    }
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plots = evaluation.plots_dir(run_dir, split)
    plot_confusion(np.array(result["confusion"]), labels,
                   os.path.join(plots, "confusion_matrix.png"),
                   title=f"{split} accuracy {result['accuracy']:.3f}, "
                         f"macro-F1 {result['macro_f1']:.3f}")
    if server.model.pooling == "attention":
        plot_attention(server, texts[:plot_texts], true[:plot_texts],
                       os.path.join(plots, "attention.png"))
    return metrics


# ------------------------------------------------------------------ plots
def _save(fig, path):
    """Writes a figure atomically (a staging file renamed)."""

    return atomic.save_figure(fig, path)


def plot_confusion(confusion, labels, path, title=""):
    """Confusion matrix PNG: rows true, columns predicted, colour the share
    of the row (recall), the counts written in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    share = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)
    size = 1.5 + 0.55 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 20:
        for (i, j), count in np.ndenumerate(confusion):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if share[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def plot_attention(server, texts, truth, path, max_tokens=40):
    """One row per text: the attention-pooling weight of each of its first
    `max_tokens` tokens, labelled `predicted (true)`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not texts:
        return None
    ids = server.encode(tf.constant(texts))
    logits, weights = server.model.logits_and_weights(ids)
    weights = np.asarray(weights, "float32")[:, :max_tokens]  # [N, S]
    names = server.labels.numpy()[np.asarray(logits).argmax(1)]
    tokens = token_lists(texts, server.unit, max_tokens)
    width = max(len(t) for t in tokens) or 1
    fig, ax = plt.subplots(figsize=(2 + 0.35 * width, 0.6 + 0.45 * len(texts)))
    ax.imshow(weights[:, :width], cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for row, toks in enumerate(tokens):
        for col, tok in enumerate(toks):
            ax.text(col, row, tok if len(tok) <= 3 else tok[:3] + ".", ha="center",
                    va="center", fontsize=7, color="white")
    ax.set_yticks(range(len(texts)), [f"{n.decode()} ({t})" for n, t in
                                      zip(names, truth, strict=True)])
    ax.set_xticks([])
    ax.set_title("attention pooling weights; predicted (true) class at left", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


# ------------------------------------------------------------------ prepare
#: Prepare options (recorded in prepared.json): characters or words.
PREPARE_KEYS = ("classify.unit",)


def load_data(config, data=None, data_dir=None):
    return data_lib.load("classify", data=data, data_dir=data_dir)


def prepare_data(task_data, config, directory):
    """The token vocabulary of the training texts and the labels."""
    train = task_data.splits["train"]
    tokens = classify_inputs.build_vocabulary([text for text, _ in train],
                                              unit=config["classify"]["unit"])
    return vocab_lib.save_vocabularies({"tokens": tokens, "labels": task_data.labels},
                                       directory)


def describe_data(task_data, count=3):
    return [f"{label}: {text[:70]!r}" for text, label in task_data.splits["train"][:count]]
