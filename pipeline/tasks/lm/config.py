"""The LM task's configuration: every key once, its presets, the models
`pipeline.compare` trains, and the check across keys."""

from models.classical.ngram import METHODS
from pipeline.core import ensemble
from pipeline.core.errors import UsageError
from pipeline.core.schema import Option, Schema, at_least, common, fraction, one_of

SCHEMA = Schema(
    common("data.batch_size", 32,
           help="contiguous streams of a batch, whose state is carried to the next batch"),
    Option("data.sequence_length", 100, "characters of a window: the truncation length of "
           "backpropagation through time", at_least(1)),
    Option("data.max_train_chars", 0, "first characters of the training split used (0 = all)",
           at_least(0)),
    Option("data.max_eval_chars", 0, "first characters of an evaluated split used (0 = all)",
           at_least(0)),
    common("model.embedding_dim", 64, help="width of the character embedding"),
    common("model.cell", "lstm"),
    common("model.units", 512),
    common("model.layers", 1),
    common("model.dropout", 0.2),
    common("model.recurrent_dropout", 0.0),
    common("train.epochs", 40),
    common("train.learning_rate", 3e-3),
    common("train.clipnorm", 1.0),
    common("train.patience", 4),
    common("train.seed", 0),
    common("train.jit_compile", False),
    common("train.strategy", "default"),
    common("train.schedule", "constant"),
    Option("train.reduce_lr_patience", 1, "with a constant schedule, halve the learning rate "
           "after this many epochs without a better validation loss (0 = never)", at_least(0)),
    common("train.ema", 0.0),
    Option("ngram.order", 5, "order of the character n-gram baseline", at_least(1)),
    Option("ngram.method", "kneser_ney", "smoothing of the n-gram baseline: "
           + ", ".join(METHODS), one_of(*METHODS)),
    Option("ngram.long_order", 0, "order of a second, long n-gram (same smoothing) scored "
           "beside the first and mixed with evaluate.mixture (0 = none)", at_least(0)),
    Option("ngram.long_segment", 0, "also refit the long n-gram on the text scored so far "
           "every this many characters, an adaptive peer of PPMd (1 = count every character "
           "once scored, PPM's rule, computed by updating counts; 0 = never)", at_least(0)),
    Option("sample.seed", 0, "seed of sampling (stateless: the same seed, the same text)"),
    Option("sample.top_k", 0, "draw from the k most probable characters (0 = all)",
           at_least(0)),
    Option("sample.temperature", 0.8, "sampling temperature (0 = greedy)", at_least(0)),
    Option("sample.length", 200, "characters generated per prompt", at_least(0)),
    Option("sample.max_length", 2000, "most characters the serving graph generates",
           at_least(1)),
    Option("sample.max_prompt_length", 1000, "last characters of a prompt the model reads",
           at_least(1)),
    # dynamic_*: dynamic evaluation (`models.lm.dynamic_log2_probabilities`),
    # reported beside the static scores when the learning rate is above 0.
    # 1.0 with no decay was chosen on the validation split of the full
    # preset (pipeline/tasks/lm/README.md, Results); segments of 50 characters.
    Option("evaluate.window", 1024, "characters scored per call, the state carried between "
           "windows", at_least(1)),
    Option("evaluate.dynamic_learning_rate", 0.0, "step size of dynamic evaluation (Krause et "
           "al. 2018; 0 = off)", at_least(0)),
    Option("evaluate.dynamic_decay", 0.0, "decay of dynamic evaluation towards the trained "
           "weights", fraction(closed=True)),
    Option("evaluate.dynamic_segment", 50, "characters scored before each dynamic-evaluation "
           "step", at_least(1)),
    # compressors, cache, mixture: pipeline/tasks/lm/evaluation.py; theta,
    # lambda and the mixture weights are fitted on the validation split.
    Option("evaluate.compressors", True, "also score PPMd and LZMA conditioned on the "
           "training text (pipeline.tasks.lm.baselines)"),
    Option("evaluate.mixture", False, "also mix the model, its caches and the n-grams per "
           "character, weights fitted on the validation split"),
    Option("cache.window", 0, "positions the continuous cache over the model's hidden states "
           "holds (Grave et al. 2017; 0 = no cache)", at_least(0)),
    Option("memory.neighbours", 0, "neighbours the nearest-neighbour memory over the "
           "training text's hidden states reads (Khandelwal et al. 2020; 0 = no memory)",
           at_least(0)),
    Option("ensemble.runs", ensemble.DEFAULTS["runs"], "other runs whose models are mixed "
           "with this one's, comma-separated (pipeline.core.ensemble; \"\" = none)"),
    Option("conditional.enabled", True, "also train the word model conditioned on the "
           "language"),
    Option("conditional.data", "", "word<TAB>language file of the conditional model "
           "(\"\" = the classify task's embedded data)"),
    Option("conditional.mode", "both", "the language as the initial state, an input at "
           "every step, or both", one_of("initial", "input", "both")),
    Option("conditional.embedding_dim", 32, "width of the conditional model's character "
           "embedding", at_least(1)),
    Option("conditional.units", 256, "units of the conditional model's layers", at_least(1)),
    Option("conditional.layers", 1, "recurrent layers of the conditional model", at_least(1)),
    Option("conditional.dropout", 0.1, "dropout rate of the conditional model", fraction()),
    Option("conditional.batch_size", 128, "words in a batch of the conditional model",
           at_least(1)),
    Option("conditional.epochs", 10, "training epochs of the conditional model", at_least(1)),
    Option("conditional.max_word_length", 24, "longest word kept whole, in characters",
           at_least(1)),
    Option("conditional.max_train_words", 0, "a seeded subset of the training words "
           "(0 = all)", at_least(0)),
    Option("conditional.max_eval_words", 0, "a seeded subset of the evaluated words "
           "(0 = all)", at_least(0)),
    Option("conditional.samples", 8, "words sampled per language by evaluate", at_least(1)),
    Option("conditional.temperature", 0.8, "temperature of word sampling (0 = greedy)",
           at_least(0)),
    Option("conditional.seed", 0, "seed of the word subsets, shuffling and sampling"),
)

PRESETS = {
    "smoke": {"data": {"batch_size": 8, "sequence_length": 32, "max_train_chars": 20000,
                       "max_eval_chars": 2000},
              "model": {"embedding_dim": 8, "units": 16},
              "train": {"epochs": 1},
              "sample": {"length": 40},
              "conditional": {"units": 16, "embedding_dim": 8, "epochs": 1, "batch_size": 32,
                              "max_train_words": 400, "max_eval_words": 100, "samples": 2}},
    "quick": {"data": {"sequence_length": 64},
              "model": {"units": 256, "dropout": 0.1},
              "train": {"epochs": 3, "learning_rate": 4e-3},
              "conditional": {"units": 128, "epochs": 3, "max_train_words": 20000,
                              "max_eval_words": 1000}},
    # full: the defaults with dropout 0.4, recurrent dropout 0.25 and batches
    # of 16 streams, chosen on validation bits per character
    # (`pipeline.evaluate --split validation`, one run each): 1.754 with
    # dropout 0.2, 1.725 with 0.4, 1.698 with recurrent dropout 0.25 as well,
    # 1.690 with 0.4 in 1.6 times the training time (under the 0.01-bit
    # rule). Two layers: 1.725, in 2.1 times the time. Batches of 16 instead
    # of 32: 1.679, in 1.8 times the time (pipeline/tasks/lm/README.md, Results).
    "full": {"data": {"batch_size": 16},
             "model": {"dropout": 0.4, "recurrent_dropout": 0.25}},
}

#: The models `pipeline.compare --task lm` trains: the same network with
#: each cell (the n-gram baseline is measured in every run).
VARIANTS = {
    "lstm": {"model": {"cell": "lstm"}},
    "gru": {"model": {"cell": "gru"}},
    "elman": {"model": {"cell": "elman"}},
}

#: The metrics `pipeline.compare --task lm` tabulates, the first charted.
COMPARE_METRICS = ("bpc", "bpc_ratio", "ngram_bpc")


def check_config(config, length_flag=None):
    """Raises a UsageError naming the flags when `sample.length` (or the
    flag `length_flag`, e.g. "--length 5000", that overrides it) is above
    `sample.max_length`, where the serving graph stops
    (`pipeline.core.config.resolve` calls it before any work; the single
    values are the schema's limits)."""
    s = config["sample"]
    if s["length"] > s["max_length"]:
        flag = length_flag or f"--set sample.length={s['length']}"
        raise UsageError(f"{flag}: expected at most sample.max_length={s['max_length']}, the "
                         f"most the model generates; raise it with --set "
                         f"sample.max_length={s['length']}")
