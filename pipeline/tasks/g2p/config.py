"""The G2P task's configuration: every key once, its presets, and the
models `pipeline.compare` trains."""

from models.attention.luong_attention import SCORES, WINDOWS
from models.seq2seq.attentive_decoder import STYLES
from models.seq2seq.seq2seq import ENCODERS
from pipeline.core.schema import Limit, Option, Schema, at_least, common, fraction, one_of

#: `g2p.stress`: train on the pronunciations as given, or with the stress
#: digits stripped (the model then predicts phonemes without stress).
STRESS = ("keep", "strip")
#: `g2p.direction`: the order the decoder emits the phonemes in.
DIRECTIONS = ("l2r", "r2l")
#: `g2p.phones`: the phone set a --data file's pronunciations are checked
#: against: CMUdict's ARPAbet, or any whitespace-free token (another set).
PHONE_SETS = ("arpabet", "any")
#: `train.monitor`: what the best checkpoint and early stopping follow.
MONITORS = ("auto", "val_loss", "val_wer")

SCHEMA = Schema(
    common("data.batch_size", 64),
    Option("data.max_train_words", 0, "a seeded random subset of the training words (0 = all)",
           at_least(0)),
    Option("data.max_word_length", 48, "words are cut to this many characters at prepare, "
           "and pronunciations to as many phonemes (the export's decode.max_input_length)",
           at_least(1), prepare=True),
    Option("data.max_eval_words", 0, "a seeded random subset of the validation and test words "
           "(0 = all)", at_least(0)),
    common("data.seed", 0),
    common("model.embedding_dim", 64),
    Option("model.encoder", "recurrent", "the encoder: recurrent (a stack of cells) or "
           "transformer (Transformer blocks)", one_of(*ENCODERS)),
    common("model.cell", "lstm"),
    common("model.units", 128),
    common("model.encoder_layers", 1),
    Option("model.bidirectional", True, "a bidirectional recurrent encoder"),
    Option("model.residual", True, "residual connections between the recurrent encoder's "
           "layers"),
    common("model.heads", 4),
    common("model.intermediate_dim", 256),
    Option("model.attention", "luong", "the decoder's attention: luong, bahdanau or none",
           one_of(*STYLES)),
    Option("model.score", "general", "Luong's score function", one_of(*SCORES)),
    Option("model.window", "global", "Luong's attention window: global, local-m or local-p",
           one_of(*WINDOWS)),
    Option("model.window_size", 0, "half-width D of a local window (0 = the model's default)",
           at_least(0)),
    common("model.attention_units", 0),
    Option("model.decoder_units", 0, "units of the decoder (0 = the encoder output's width)",
           at_least(0)),
    common("model.dropout", 0.1),
    common("train.epochs", 10),
    common("train.learning_rate", 2e-3),
    common("train.schedule", "cosine"),
    common("train.clipnorm", 1.0),
    common("train.patience", 3),
    common("train.seed", 0),
    common("train.jit_compile", False),
    Option("train.scheduled_sampling", 0.0, "probability, raised linearly from 0 at the first "
           "epoch to this at the last, of feeding the decoder its own sampled token "
           "(0 = teacher forcing only)", fraction(closed=True)),
    common("train.strategy", "default"),
    common("train.ema", 0.0),
    Option("train.monitor", "auto", "what the best checkpoint and early stopping follow: "
           "val_loss, or val_wer (the validation words decoded after every epoch); auto = "
           "val_wer with distill.teacher (its loss is against other targets), else val_loss",
           one_of(*MONITORS)),
    Option("train.label_smoothing", 0.0, "epsilon of the label-smoothed targets "
           "(models.losses; 0 = none)", fraction()),
    Option("decode.beam_width", 4, "beam width of the search (1 = greedy decoding)",
           at_least(1)),
    Option("decode.length_penalty", 0.6, "alpha of the length penalty of Wu et al. 2016 "
           "eq. (14)"),
    Option("decode.max_length", 32, "most phonemes emitted", at_least(1)),
    Option("decode.max_input_length", 48, "longest word read (characters beyond it are cut)",
           at_least(1)),
    Option("decode.xla", False, "pad words to decode.max_input_length and compile the model "
           "and the decoding with XLA (static shapes, the TPU route)"),
    Option("decode.xla_batch", 0, "batches of at most this many words decode through an "
           "XLA-compiled search, words padded to a multiple of 8 characters (CPU latency of "
           "small requests; 0 = never)", at_least(0)),
    Option("decode.stress_marginal", False, "search over phonemes without stress, each scored "
           "by the summed probability of its stress variants (models.decoding.group_marginal)"),
    Option("ensemble.runs", "", "other runs whose models decode with this one's "
           "(comma-separated run directories; pipeline.core.ensemble)"),
    Option("g2p.stress", "keep", "keep: train on the pronunciations as given; strip: with the "
           "stress digits removed (no stress-kept scores then)", one_of(*STRESS), prepare=True),
    Option("g2p.phones", "arpabet", "the phone set of a --data file's pronunciations: arpabet "
           "(CMUdict's 39 phonemes, stress 0-2 on vowels) or any (another set, any "
           "whitespace-free token)", one_of(*PHONE_SETS), prepare=True),
    Option("g2p.direction", "l2r", "the order the decoder emits the phonemes in: l2r first to "
           "last, r2l last to first (the answers are turned back around)",
           one_of(*DIRECTIONS)),
    Option("rerank.runs", "", "other runs (either direction) whose models rescore the beam's "
           "hypotheses (comma-separated run directories; models.decoding.rerank)"),
    Option("rerank.weight", 0.5, "the rescoring runs' share of the score, the searching "
           "models having the rest", fraction(closed=True)),
    Option("rerank.propose", False, "the rescoring runs that read in the other direction also "
           "search, and both n-best lists are rescored"),
    Option("rerank.learned", False, "rank the candidates by a log-linear model of every "
           "model's score that evaluate fits on the validation split (reranker.py)"),
    Option("distill.teacher", "", "a G2P export (saved/g2p/N) whose answers for the training "
           "words the model learns instead of the references: sequence-level knowledge "
           "distillation (distill.py; \"\" = none)"),
    Option("distill.references", False, "with distill.teacher: train on the references and "
           "the teacher's answers together"),
    Option("distill.extra_words", 0, "with distill.teacher: the teacher also answers this "
           "many frequent English words (wordfreq) that no split holds, and the student "
           "learns them too (distill.py)", at_least(0)),
    Option("distill.soft_runs", "", "trained runs (the same direction and data) whose mean "
           "per-step distribution is a soft target beside the hard one: word-level "
           "distillation (comma-separated run directories; \"\" = none)"),
    Option("distill.soft_weight", 0.5, "with distill.soft_runs: the soft targets' share of the "
           "loss", fraction(closed=True)),
    Option("rerank.joint_order", 5, "order of the joint-sequence model whose score the learned "
           "reranker adds (0 = none)",
           Limit(lambda order: 0 <= order <= 8, "0 (no joint-sequence model) to 8")),
)

PRESETS = {
    "smoke": {"data": {"max_train_words": 300, "max_eval_words": 40, "batch_size": 32},
              "model": {"units": 16, "embedding_dim": 8, "intermediate_dim": 32},
              "train": {"epochs": 1}, "decode": {"beam_width": 2, "max_length": 12}},
    # quick: `make run`, within 10 minutes on 2 CPU cores. Batches of 128 and a
    # 128-unit decoder cost 0.62 of the CPU time a step of batch 64 with a
    # 256-unit decoder costs per example (measured), which buys a 4th epoch.
    "quick": {"data": {"max_eval_words": 2000, "batch_size": 128},
              "model": {"decoder_units": 128},
              "train": {"epochs": 4, "learning_rate": 3e-3}},
    # full: a 2-layer 256-unit BiLSTM encoder and a 256-unit decoder, at the
    # quick preset's batch and rate; its step costs 1.75 times a quick step
    # in CPU time (`python -m bench.g2p_step --preset full --steps 15`).
    # Dropout 0.3 scored 26.4% validation WER without stress against 25.4%
    # for 0.2 (one full run each, see pipeline/tasks/g2p/README.md).
    "full": {"data": {"batch_size": 128},
             "model": {"units": 256, "encoder_layers": 2, "decoder_units": 256,
                       "dropout": 0.2},
             "train": {"epochs": 16, "learning_rate": 3e-3, "patience": 4}},
}

#: The models `pipeline.compare --task g2p` trains (issue 4's comparison).
VARIANTS = {
    "luong": {"model": {"attention": "luong", "score": "general", "window": "global"}},
    "luong-local-p": {"model": {"attention": "luong", "score": "general",
                                "window": "local-p", "window_size": 3}},
    "bahdanau": {"model": {"attention": "bahdanau"}},
    "none": {"model": {"attention": "none"}},
    "transformer": {"model": {"encoder": "transformer"}},
}

#: The metrics `pipeline.compare` tabulates, the first one charted.
COMPARE_METRICS = ("wer_no_stress", "per_no_stress", "wer", "per")
