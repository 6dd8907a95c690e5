"""The LM task's classical baselines: n-grams and general-purpose compressors.

- The order-n character n-gram (`models.classical.ngram.CharNGram`) fitted on
  the training text, static or refitted as it reads (the peer of dynamic
  evaluation), and a long-order one of the same smoothing (`ngram.long_order`)
  that can copy long strings of the training text; it joins the mixtures.
  Like PPM it falls back ("escapes") from the longest context seen to
  shorter ones, but it interpolates all orders with discounted counts
  (Kneser-Ney) where PPM codes an escape symbol (Cleary and Witten 1984).
- LZMA and PPMd (`models.classical.compressors`) conditioned on the training
  text: the bits of compress(train + text) minus compress(train), per
  character of the text. They adapt as they read, so the adaptive figures
  (dynamic evaluation, the cache) are compared with them. PPMd's order is
  the one of `PPMD_ORDERS` that codes the validation text in fewest bits.
"""

import functools
import time

from pipeline.core.errors import UsageError


def fit_ngram(config, train_ids, vocabulary_size, order=None):
    """The `CharNGram` of `ngram.order` (or `order`) and `ngram.method`
    fitted on `train_ids`; a usage error names the flags when it cannot be."""
    from models.classical.ngram import CharNGram

    n = config["ngram"]
    try:
        return CharNGram(vocabulary_size, order=order or n["order"],
                         method=n["method"]).fit(train_ids)
    except ValueError as error:
        raise UsageError(f"--set ngram.order={n['order']} / ngram.method={n['method']} / "
                         f"ngram.long_order={n['long_order']}: {error}") from None


def long_ngram_log2(config, train_ids, vocabulary_size, scored):
    """`{split: {"long_ngram": log2 p [N-1]}}` of the long-order n-gram
    (`ngram.long_order`, smoothed by `ngram.method`) fitted once on the
    training text, for each id stream of `scored` (`{split: ids}`); with
    `ngram.long_segment` > 0 also `"long_ngram_refitted"`, refitted on the
    training text and the text scored so far every that many characters
    (`models.classical.online_ngram.adapting_log2_probabilities`)."""
    from models.classical.online_ngram import adapting_log2_probabilities

    n = config["ngram"]
    model = fit_ngram(config, train_ids, vocabulary_size, order=n["long_order"])
    out = {split: {"long_ngram": model.log2_probabilities(ids)} for split, ids in scored.items()}
    if n["long_segment"]:
        for split, ids in scored.items():
            out[split]["long_ngram_refitted"] = adapting_log2_probabilities(
                train_ids, ids, n["long_segment"], vocabulary_size=vocabulary_size,
                order=n["long_order"], method=n["method"])
    return out


def compressor_metrics(texts, split):
    """PPMd and LZMA bits per character of `texts[split]` conditioned on
    `texts["train"]`, PPMd's order chosen on `texts["validation"]`.

    Returns the metrics `ppmd_bpc`, `ppmd_order`, `ppmd_validation_bpc`
    (`{order: bpc}`), `lzma_bpc`, `lzma_validation_bpc` and
    `compressor_seconds`.
    """
    from models.classical import compressors

    start = time.perf_counter()
    train = texts["train"]
    train_size = {}

    def bpc(order, text):
        size = functools.partial(compressors.ppmd_size, order=order)
        if order not in train_size:
            train_size[order] = size(train.encode("utf-8"))
        return compressors.bits_per_character(size, train, text, train_size[order])

    by_order = {order: bpc(order, texts["validation"]) for order in compressors.PPMD_ORDERS}
    order = min(by_order, key=by_order.get)
    ppmd = by_order[order] if split == "validation" else bpc(order, texts[split])
    lzma = {s: compressors.bits_per_character(compressors.lzma_size, train, texts[s])
            for s in {split, "validation"}}
    return {"ppmd_bpc": ppmd, "ppmd_order": order,
            "ppmd_validation_bpc": {str(k): v for k, v in by_order.items()},
            "lzma_bpc": lzma[split], "lzma_validation_bpc": lzma["validation"],
            "compressor_seconds": time.perf_counter() - start}
