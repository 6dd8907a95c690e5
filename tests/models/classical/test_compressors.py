"""`models.classical.compressors` and the LM task's compressor baselines: the
bits a compressor spends on a text after the training text, per character,
against the formula computed here directly from the compressors."""

import lzma

import pyppmd
import pytest

from models.classical import compressors
from pipeline.tasks.lm.baselines import compressor_metrics

TRAIN = "the cat sat on the mat. " * 30
TEXT = "the cat sat on the café mat."  # 28 characters, 29 UTF-8 bytes


def raw_lzma(data):
    return len(lzma.compress(data, format=lzma.FORMAT_RAW, filters=[
        {"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]))


def raw_ppmd(data, order):
    return len(pyppmd.compress(data, max_order=order, mem_size=256 << 20, variant="H"))


def test_lzma_bits_per_character_is_the_size_difference_per_character():
    train, both = TRAIN.encode(), (TRAIN + TEXT).encode()
    expected = 8 * (raw_lzma(both) - raw_lzma(train)) / 28  # per character, not per byte
    assert compressors.bits_per_character(compressors.lzma_size, TRAIN, TEXT) == expected
    assert compressors.conditional_bits(compressors.lzma_size, TRAIN, TEXT) == expected * 28


def test_ppmd_conditional_bits_and_the_context_size_shortcut():
    size = lambda data: compressors.ppmd_size(data, order=6)  # noqa: E731
    expected = 8 * (raw_ppmd((TRAIN + TEXT).encode(), 6) - raw_ppmd(TRAIN.encode(), 6))
    assert compressors.conditional_bits(size, TRAIN, TEXT) == expected
    known = raw_ppmd(TRAIN.encode(), 6)
    assert compressors.bits_per_character(size, TRAIN, TEXT, known) == expected / 28
    # A text the training text already holds costs far fewer bits after it.
    seen = TRAIN[:28]
    assert (compressors.conditional_bits(size, TRAIN, seen)
            < compressors.conditional_bits(size, "", seen) / 3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="order"):
        compressors.ppmd_size(b"abc", order=1)
    with pytest.raises(ValueError, match="empty"):
        compressors.bits_per_character(compressors.lzma_size, TRAIN, "")


def test_compressor_metrics_choose_the_ppmd_order_on_validation():
    texts = {"train": TRAIN, "validation": "the mat sat on the cat. " * 2, "test": TEXT}
    metrics = compressor_metrics(texts, "test")
    by_order = {order: 8 * (raw_ppmd((TRAIN + texts["validation"]).encode(), order)
                            - raw_ppmd(TRAIN.encode(), order)) / 48
                for order in compressors.PPMD_ORDERS}
    order = min(by_order, key=by_order.get)
    assert metrics["ppmd_order"] == order
    assert metrics["ppmd_validation_bpc"] == {str(k): v for k, v in by_order.items()}
    assert metrics["ppmd_bpc"] == 8 * (raw_ppmd((TRAIN + TEXT).encode(), order)
                                       - raw_ppmd(TRAIN.encode(), order)) / 28
    assert metrics["lzma_bpc"] == 8 * (raw_lzma((TRAIN + TEXT).encode())
                                       - raw_lzma(TRAIN.encode())) / 28
    on_validation = compressor_metrics(texts, "validation")
    assert on_validation["ppmd_bpc"] == by_order[order]
