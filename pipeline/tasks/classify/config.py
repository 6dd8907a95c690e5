"""The classify task's configuration: every key once, its presets, and the
models `pipeline.compare` trains."""

from pipeline.core.schema import Limit, Option, Schema, above, at_least, common, one_of

#: `train.monitor`: the validation value that the best checkpoint and early
#: stopping follow, and whether lower or higher is better.
MONITORS = {"val_loss": "min", "val_accuracy": "max"}


def poolings():
    """A `models.classifier.POOLINGS` name; the names are looked up when a
    value is checked, so declaring this loads no model code."""

    def names():
        from models.classifier import POOLINGS

        return POOLINGS

    return Limit(lambda value: value in names(), lambda: "one of " + ", ".join(names()))


SCHEMA = Schema(
    common("data.batch_size", 128),
    Option("data.max_length", 400, "tokens read per text, in training, evaluation and the "
           "export", at_least(1), run_key=True),
    common("data.max_train", 0),
    common("data.max_eval", 0),
    common("data.seed", 0),
    common("model.embedding_dim", 32),
    common("model.cell", "lstm"),
    common("model.units", 64, help="units of each direction of each recurrent layer"),
    common("model.num_layers", 1),
    Option("model.bidirectional", True, "read the text in both directions"),
    Option("model.pooling", "attention", "how the states become one vector: the last "
           "state, or attention pooling (Yang et al. 2016)", poolings()),
    common("model.attention_units", 0,
           help="width of the attention pooling's scoring layer (0 = model.units)"),
    common("model.dropout", 0.1, help="dropout rate on the embeddings and the pooled vector"),
    Option("model.ngram_order", 0, "hashed n-grams of orders 2..N ending at each token are "
           "embedded and added to its embedding (fastText-style subword features; below 2, "
           "none)", at_least(0)),
    Option("model.ngram_buckets", 65536, "rows of the hashed n-gram embedding table",
           at_least(1)),
    common("train.epochs", 10),
    common("train.learning_rate", 1e-2),
    common("train.schedule", "constant"),
    common("train.clipnorm", 1.0),
    common("train.patience", 2),
    common("train.seed", 0),
    common("train.jit_compile", False),
    common("train.strategy", "default"),
    common("train.ema", 0.0),
    Option("train.monitor", "val_loss", "what the best checkpoint and early stopping follow: "
           "val_loss or val_accuracy", one_of(*MONITORS)),
    Option("baseline.char_order", 3, "naive Bayes n-gram orders 1..N with classify.unit=char",
           at_least(1)),
    Option("baseline.word_order", 2, "naive Bayes n-gram orders 1..N with classify.unit=word",
           at_least(1)),
    Option("baseline.alpha", 1.0, "naive Bayes Laplace smoothing", above(0)),
    Option("classify.unit", "char", "the tokens read: char (characters) or word "
           "(whitespace-separated words)", prepare=True, run_key=True),
)

PRESETS = {
    "smoke": {"data": {"max_train": 400, "max_eval": 100, "batch_size": 32},
              "model": {"units": 8, "embedding_dim": 8, "ngram_order": 3, "ngram_buckets": 1024},
              "train": {"epochs": 1}},
    "quick": {"train": {"epochs": 8}},
    # Chosen on validation (README, "Choosing the full preset"): wider, with
    # hashed character 2-4-grams added to the inputs, a cosine schedule, the
    # epoch of the best validation accuracy kept.
    "full": {"model": {"units": 128, "embedding_dim": 64, "dropout": 0.2, "ngram_order": 4},
             "train": {"epochs": 8, "learning_rate": 1e-2, "schedule": "cosine",
                       "patience": 3, "monitor": "val_accuracy"}},
}

#: The models `pipeline.compare --task classify` trains.
VARIANTS = {
    "lstm-last": {"model": {"cell": "lstm", "pooling": "last"}},
    "lstm-attention": {"model": {"cell": "lstm", "pooling": "attention"}},
    "gru": {"model": {"cell": "gru", "pooling": "attention"}},
    "elman": {"model": {"cell": "elman", "pooling": "attention"}},
    "lstm-ngrams": {"model": {"cell": "lstm", "pooling": "attention", "ngram_order": 4}},
}

#: The metrics `pipeline.compare` tabulates, the first one charted.
COMPARE_METRICS = ("macro_f1", "accuracy", "baseline_nb_macro_f1", "baseline_nb_accuracy",
                   "baseline_linear_macro_f1", "baseline_linear_accuracy",
                   "baseline_ngram_lm_accuracy", "baseline_classical_accuracy",
                   "combined_macro_f1", "combined_accuracy")
