"""General-purpose compressors as language-model baselines.

A lossless compressor is a sequential predictor: its output is, up to a
few bytes, the code length -log2 p(text) of the model it adapts as it
reads (Shannon's source-coding theorem; the equivalence of compression and
prediction). Conditioned on a training text, the bits it spends on a
scored text are

    bits(text | train) = 8 * (|C(train + text)| - |C(train)|)

so `conditional_bits(...) / len(text)` is directly comparable with a
language model's bits per character on the same characters, for a model
that adapts to the scored text as it reads it (dynamic evaluation, a
cache): the compressor keeps learning from the text it codes.

- `lzma_size`: LZMA2 (Lempel-Ziv with range coding, xz's preset 9 with the
  "extreme" flag, raw stream without container headers).
- `ppmd_size`: PPMd variant H (Shkarin 2002, the PPM model of 7-Zip, via
  `pyppmd`), prediction by partial matching with escapes to shorter
  contexts (Cleary and Witten 1984).

References:
    John G. Cleary and Ian H. Witten (1984), "Data Compression Using
    Adaptive Coding and Partial String Matching", IEEE Trans. Comm. 32(4).
    Dmitry Shkarin (2002), "PPM: one step to practicality", DCC 2002.
"""

import lzma

#: LZMA2 filter of `xz -9e`: preset 9 with the extreme flag.
LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]

#: PPMd model memory: enough that the model of a few megabytes of text is
#: never restarted (a restart would forget the training text).
PPMD_MEMORY = 256 << 20

#: The PPMd orders `best_ppmd_order` tries (pyppmd accepts 2..64).
PPMD_ORDERS = tuple(range(4, 17))


def lzma_size(data):
    """Bytes of `data` (bytes) compressed by LZMA2 at `xz -9e` settings."""
    return len(lzma.compress(data, format=lzma.FORMAT_RAW, filters=LZMA_FILTERS))


def ppmd_size(data, order=16):
    """Bytes of `data` (bytes) compressed by PPMd variant H of order `order`."""
    import pyppmd

    if not 2 <= order <= 64:
        raise ValueError(f"`order` must lie in 2..64. Received: order={order}")
    return len(pyppmd.compress(data, max_order=order, mem_size=PPMD_MEMORY, variant="H"))


def conditional_bits(size, context, text, context_size=None):
    """Bits `size` spends on the string `text` after the string `context`:
    ``8 * (size(context + text) - size(context))``, both UTF-8 encoded.

    Args:
        size: bytes -> compressed size in bytes (`lzma_size`, or
            `functools.partial(ppmd_size, order=k)`).
        context: the conditioning text (the training text).
        text: the scored text.
        context_size: `size(context)` when known (it is computed otherwise).
    """
    context = context.encode("utf-8")
    if context_size is None:
        context_size = size(context)
    return 8 * (size(context + text.encode("utf-8")) - context_size)


def bits_per_character(size, context, text, context_size=None):
    """`conditional_bits(size, context, text, context_size)` per character
    of `text`."""
    if not text:
        raise ValueError("`text` is empty: no character to score")
    return conditional_bits(size, context, text, context_size) / len(text)
