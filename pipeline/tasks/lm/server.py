"""The LM task's serving module: prompts in, sampled continuations out, in
one graph (docs/architecture.md section 5); its SavedModel export and the
timing batch of `pipeline.compare`.

Generation samples one character at a time with temperature and top-k from
stateless seeds (`models.lm.Sampler`).
"""

import tensorflow as tf

from pipeline.core import export as export_lib
from pipeline.data import vocab as vocab_lib
from pipeline.tasks.lm.model import load_for_use

#: What generation reads before the prompt: the text starts a new topic.
START = "\n\n"
SAMPLE_PROMPTS = ["", "The ", "def ", "class C:\n    "]


class LMServer(tf.Module):
    """Prompts in, sampled continuations out: preprocessing, model, sampling
    and decoding in one graph, what the export serves (docs/architecture.md
    section 5).

    The model reads `START` (a blank line: a new topic) then the prompt, of
    which it keeps the last `max_prompt_length` characters; characters
    outside the training vocabulary map to the out-of-vocabulary id, so any
    UTF-8 string (the empty one too) is a valid prompt; invalid UTF-8 bytes
    read as U+FFFD, also out of vocabulary. It then draws `length`
    characters (at most `max_length`), never padding or the
    out-of-vocabulary id, at `temperature` (0 or less: greedy) from the
    `top_k` most probable (0: all), with stateless random ops: the same
    request and seed give the same text.

    Args:
        model: a trained `CharLanguageModel` (unconditional), or a
            `models.lm.LanguageModelMixture` of them.
        vocabulary: its character list (`pipeline.data.vocab`).
        top_k, max_length, max_prompt_length: as above.
    """

    def __init__(self, model, vocabulary, top_k=0, max_length=2000, max_prompt_length=1000):
        super().__init__()
        from models.lm import Sampler

        self.model = model
        self.max_length = max_length
        self.max_prompt_length = max_prompt_length
        self.chars = vocab_lib.lookup(vocabulary)
        self.char_names = vocab_lib.lookup(vocabulary, invert=True)
        self.chars(tf.constant([""]))  # build the lookups (export tracks built layers)
        self.char_names(tf.constant([0], tf.int64))
        self.sampler = Sampler(top_k=top_k, forbidden=(0, 1))

    def encode(self, prompts):
        """`[B]` strings -> right-padded ids `[B, S]` and lengths `[B]`."""
        chars = tf.strings.unicode_split(tf.strings.join([START, prompts]), "UTF-8",
                                        errors="replace")
        chars = chars[:, -self.max_prompt_length:]
        ids = tf.cast(self.chars(chars).to_tensor(), tf.int32)  # [B, S]
        ids = tf.pad(ids, [[0, 0], [0, 1]])  # S >= 1 for an empty batch
        return ids, tf.cast(chars.row_lengths(), tf.int32)

    def __call__(self, prompts, length, temperature, seed):
        """Continuations `[B]` (the sampled characters, prompt excluded)."""
        ids, lengths = self.encode(prompts)
        mask = tf.sequence_mask(lengths, tf.shape(ids)[1])  # [B, S]
        logits, states = self.model.forward(ids, mask=mask)  # [B, S, V]
        last = tf.gather(logits, tf.maximum(lengths - 1, 0), batch_dims=1)  # [B, V]
        length = tf.clip_by_value(tf.cast(length, tf.int32), 0, self.max_length)
        drawn = self.sampler(self.model.step, states, last, length, temperature, seed)
        return tf.strings.reduce_join(self.char_names(tf.cast(drawn, tf.int64)), axis=1)


def serving_endpoints(server, seed):
    """`serving_default` (`prompt`, `length`, `temperature` -> `text`, the
    configured seed) and `generate_with_seed` (the same and a `seed`)."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="prompt"),
                                  tf.TensorSpec([], tf.int32, name="length"),
                                  tf.TensorSpec([], tf.float32, name="temperature")])
    def serve(prompt, length, temperature):
        return {"text": server(prompt, length, temperature, tf.constant(seed, tf.int32))}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="prompt"),
                                  tf.TensorSpec([], tf.int32, name="length"),
                                  tf.TensorSpec([], tf.float32, name="temperature"),
                                  tf.TensorSpec([], tf.int32, name="seed")])
    def serve_seeded(prompt, length, temperature, seed):
        return {"text": server(prompt, length, temperature, seed)}

    return serve, serve_seeded


def make_server(config, run_dir):
    """The `LMServer` of a trained run (and `ensemble.runs`), configured by
    `config["sample"]`."""
    model, _, vocabulary = load_for_use(config, run_dir)
    return sampling_server(config, model, vocabulary)


def sampling_server(config, model, vocabulary):
    s = config["sample"]
    return LMServer(model, vocabulary, top_k=s["top_k"], max_length=s["max_length"],
                    max_prompt_length=s["max_prompt_length"])


def generate(server, prompts, length, temperature, seed):
    """Continuations of a list of prompts, as Python strings."""
    out = server(tf.constant(prompts, tf.string), length, temperature, seed)
    return [t.decode("utf-8") for t in out.numpy()]


def export(config, run_dir, directory):
    """Writes the SavedModel of a trained run into `directory`; returns the
    metadata dict."""
    model, members, vocabulary = load_for_use(config, run_dir)
    server = sampling_server(config, model, vocabulary)
    s = config["sample"]
    serve, serve_seeded = serving_endpoints(server, s["seed"])
    export_lib.write_archive(directory, [*members, server.chars, server.char_names],
                             {"serving_default": serve, "generate_with_seed": serve_seeded})
    return {"model": members[0].get_config(), "sample": dict(s),
            "ensemble": {**config["ensemble"], "models": [m.get_config() for m in members[1:]]},
            "inputs": {"prompt": "string [B]", "length": "int32 []",
                       "temperature": "float32 [] (0 or less: greedy)"},
            "outputs": {"text": "string [B], the sampled continuation (prompt excluded)"},
            "signatures": {"generate_with_seed": "the inputs and a seed int32 []"}}


def show_export(path, config, run_dir):
    """Prints the export's continuations of `SAMPLE_PROMPTS`, read back from
    the SavedModel as a TF Serving client gets them."""
    serve = tf.saved_model.load(path).signatures["serving_default"]
    s = config["sample"]
    answers = serve(prompt=tf.constant(SAMPLE_PROMPTS), length=tf.constant(s["length"]),
                    temperature=tf.constant(s["temperature"]))
    print(f"answers of the export (length {s['length']}, temperature {s['temperature']}):")
    for prompt, text in zip(SAMPLE_PROMPTS, answers["text"].numpy(), strict=True):
        print(f"  {prompt!r:<18} -> {(prompt + text.decode('utf-8'))!r}")


def inference_batch(config, run_dir, prompts=4):
    """`(infer, count)` for `pipeline.compare`: `infer()` runs the compiled
    serving function on `prompts` prompts for `sample.length` characters, so
    `count` is the number of characters generated."""
    s = config["sample"]
    serve, _ = serving_endpoints(make_server(config, run_dir), s["seed"])
    request = (tf.constant(SAMPLE_PROMPTS[:1] * prompts), tf.constant(s["length"]),
               tf.constant(s["temperature"], tf.float32))
    return (lambda: serve(*request)), prompts * s["length"]
