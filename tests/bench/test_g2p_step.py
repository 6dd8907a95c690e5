"""`bench.g2p_step --parts`: the encoder and decoder timed apart, the
encoder's hand-written backward pass against autodiff, in one table."""

from bench import g2p_step


def test_parts_prints_every_part_with_both_gradients(capsys):
    assert g2p_step.main(["--preset", "smoke", "--parts", "--steps", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("graphemes (")
    assert lines[1].split() == ["hand-written", "autodiff", "ratio"]
    rows = {line[:32].strip(): [float(v) for v in line[32:].split()] for line in lines[2:]}
    assert list(rows) == ["encoder forward", "encoder forward+backward", "decoder forward",
                          "decoder forward+backward", "whole model forward+backward"]
    for ours, autodiff, ratio in rows.values():
        assert ours > 0 and autodiff > 0 and ratio > 0
