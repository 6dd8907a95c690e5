"""The classify task's serving module and export: texts in, a label and the
class probabilities out, in one TensorFlow graph (docs/architecture.md
section 5)."""

import numpy as np
import tensorflow as tf

from pipeline.core import export as export_lib
from pipeline.data import vocab as vocab_lib
from pipeline.tasks.classify import inputs, members
from pipeline.tasks.classify.model import load_trained

#: What `show_export` asks the export: "thank you" in the ten embedded languages.
SAMPLE_TEXTS = ["hello", "bonjour", "danke", "gracias", "grazie", "obrigado", "bedankt",
                "tack", "dziękuję", "teşekkürler"]


class ClassifierServer(tf.Module):
    """Texts in, labels and class probabilities out: tokenisation, model and
    softmax in one graph, what the export serves (docs/architecture.md
    section 5).

    Texts are tokenised by `pipeline.tasks.classify.inputs.tokenize`
    (lower-cased, characters or words), exactly as in training, and cut to
    `max_length` tokens; tokens outside the training vocabulary map to the
    out-of-vocabulary id. An empty text has no tokens: its pooled vector is
    zero and it gets the class the output bias prefers.

    With `combination`, the probabilities are the average `sum_k w_k P_k`
    of the network's and the classical models' (the linear n-gram model,
    `models.classical.linear_ngram_graph`, and with characters the n-gram
    language models, `models.classical.ngram_lm_classifier_graph`), all
    reading the same cut, lower-cased tokens: the system evaluate reports
    as `combined_*`.

    Args:
        model: a trained `TextClassifier`.
        prepared: `{"tokens", "labels", "unit"}` of
            `pipeline.tasks.classify.data.load_prepared`.
        max_length: the `data.max_length` the model was trained with.
        combination: optional `(weights, models)` of `members.load`:
            `{name: w}` with the network's weight under "network", and
            the fitted classical models by name ("linear", "ngram_lm").
    """

    def __init__(self, model, prepared, max_length, combination=None):
        super().__init__()
        self.model = model
        self.unit = prepared["unit"]
        self.max_length = max_length
        self.tokens = vocab_lib.lookup(prepared["tokens"])
        self.tokens(tf.constant([""]))  # build the lookup (export tracks built layers)
        self.labels = tf.constant(prepared["labels"])
        self.weights, self.members = {"network": 1.0}, {}
        if combination is not None:
            from models.classical.linear_ngram_graph import LinearNGramGraph
            from models.classical.ngram_lm_classifier_graph import NGramLMClassifierGraph

            graphs = {"linear": LinearNGramGraph, "ngram_lm": NGramLMClassifierGraph}
            weights, models = combination
            self.weights = {"network": weights["network"]} | {
                name: weights[name] for name in models}
            self.members = {name: graphs[name](m) for name, m in models.items()}

    def encode(self, texts):
        """`[B]` strings -> the model's inputs (`encode_tokens`)."""
        return self.encode_tokens(self.read(texts))

    def read(self, texts):
        """Ragged tokens `[B, (n)]`: lower-cased, cut to `max_length`."""
        return inputs.tokenize(texts, self.unit)[:, : self.max_length]

    def encode_tokens(self, tokens):
        """Ragged tokens -> the model's inputs, right-padded with 0, S >= 1:
        token ids `[B, S]`, or with n-gram features `[B, S, ngram_order]`
        (`inputs.encode_tokens`)."""
        ids = inputs.encode_tokens(tokens, self.tokens, self.model.ngram_order,
                                   self.model.ngram_buckets).to_tensor()  # [B, S, ...]
        pad = [[0, 0], [0, tf.maximum(1 - tf.shape(ids)[1], 0)]] + [[0, 0]] * (ids.shape.rank - 2)
        return tf.pad(ids, pad)  # [B, max(S, 1), ...]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, texts):
        """`(label [B] string, probabilities [B, C] float32)` for texts `[B]`;
        one traced graph, the one the export serves."""
        tokens = self.read(texts)  # [B, (n)]
        logits = self.model(self.encode_tokens(tokens))  # [B, C]
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        if self.members:
            probabilities = self.weights["network"] * probabilities
            joined = tf.strings.reduce_join(tokens, axis=-1,
                                            separator="" if self.unit == "char" else " ")
            for name, graph in self.members.items():  # the texts as `scoring.joined` gives them
                member = graph(joined) if name == "linear" else graph(tokens)  # [B, C]
                probabilities += self.weights[name] * member
        return tf.gather(self.labels, tf.argmax(probabilities, axis=-1)), probabilities

    def describe(self):
        """What the server answers with, for people: "network alone" or the
        weighted members."""
        names = {"network": "network", "linear": "linear n-gram", "ngram_lm": "n-gram LMs"}
        if not self.members:
            return "network alone"
        return " + ".join(f"{names[n]} x {w:.1f}" for n, w in self.weights.items() if w > 0)


def server_for(config, run_dir, combined=False):
    """`(ClassifierServer, prepared)` of a trained run: the network alone,
    or with `combined` the combination evaluate chose and stored for this
    network (`members`), when there is one."""
    model, prepared = load_trained(config, run_dir)
    combination = members.load(run_dir) if combined else None
    return ClassifierServer(model, prepared, config["data"]["max_length"], combination), prepared


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
    server, prepared = server_for(config, run_dir, combined=True)
    if not server.members:
        print("the export serves the network alone: run the evaluate stage on this run first "
              "to serve the combination it chooses")
    export_lib.write_archive(directory, [server.model, server.tokens, *server.members.values()],
                             {"serving_default": serving_endpoint(server)})
    return {"model": server.model.get_config(), "unit": prepared["unit"],
            "max_length": server.max_length, "labels": prepared["labels"],
            "serves": server.describe(), "weights": dict(server.weights),
            "inputs": {"text": "string [B]"},
            "outputs": {"label": "string [B], the most probable class",
                        "probabilities": "float32 [B, C], over `labels` in order: the "
                                         "network's softmax, or its weighted average with "
                                         "the classical members (`serves`, `weights`)"}}


def show_export(path, config, run_dir):
    """Prints the export's answers for `SAMPLE_TEXTS`, read back from the
    SavedModel as a TF Serving client gets them."""
    serve = tf.saved_model.load(path).signatures["serving_default"]
    answers = serve(text=tf.constant(SAMPLE_TEXTS))
    print("answers of the export:")
    for text, label, probs in zip(SAMPLE_TEXTS, answers["label"].numpy(),
                                  answers["probabilities"].numpy(), strict=True):
        print(f"  {text:<15} {label.decode():<10} {probs.max():.3f}")
