"""What `python -m pipeline.generate` prints: text continued by a trained
run's character model, or words of a language sampled from its conditional
word model (Xiaogang Wang, "Recurrent Neural Network", CUHK 2019, slide 23).
Sampling is seeded (stateless random ops): the same flags give the same
output."""

from pipeline.core import cli, registry, rundir
from pipeline.core import config as config_lib
from pipeline.tasks.lm import conditional, server
from pipeline.tasks.lm.config import check_config


def sampled_lines(run_dir, preset="quick", config_file=None, sets=(), *, language=None,
                  count=None, prompts=(), length=None, temperature=None, seed=None):
    """The lines to print, one at a time.

    With `language` (a language of the conditional model, or "all"):
    `language<TAB>words` lines of `count` words each (default
    `conditional.samples`). Otherwise each prompt (default one empty
    prompt) followed by its continuation of `length` characters (default
    `sample.length`), then a blank line. `temperature` and `seed` default to
    `conditional.*` for words, `sample.*` for text.
    """
    config = config_lib.resolve("lm", preset, config_file, sets)
    rundir.check_run(registry.get("lm"), config, run_dir)  # an lm run
    if language:
        yield from word_lines(config, run_dir, language, count, temperature, seed)
        return
    s = config["sample"]
    prompts = list(prompts) or [""]
    cli.check_utf8(prompts, "--prompt")
    if length is not None:
        s["length"] = length
    check_config(config, None if length is None else f"--length {length}")
    temperature = s["temperature"] if temperature is None else temperature
    seed = s["seed"] if seed is None else seed
    texts = server.generate(server.make_server(config, run_dir), prompts, s["length"],
                            temperature, seed)
    for prompt, text in zip(prompts, texts, strict=True):
        yield prompt + text
        yield ""


def word_lines(config, run_dir, language, count=None, temperature=None, seed=None):
    """`language<TAB>words` of the conditional model, for one language or
    "all"."""
    c = config["conditional"]
    model, vocabulary, languages = conditional.load(run_dir)
    chosen = languages if language == "all" else [language]
    count = c["samples"] if count is None else count
    temperature = c["temperature"] if temperature is None else temperature
    seed = c["seed"] if seed is None else seed
    for name in chosen:
        words = conditional.sample_words(model, vocabulary, languages, name, count,
                                         temperature, seed, c["max_word_length"])
        yield f"{name}\t{' '.join(words)}"
