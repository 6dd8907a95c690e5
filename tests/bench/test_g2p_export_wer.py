"""`bench.g2p_export_wer` refuses what is not a G2P export in one line."""

import json

import pytest

from bench import g2p_export_wer


def test_a_directory_that_is_not_an_export(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        g2p_export_wer.main([str(tmp_path)])
    assert stopped.value.code == 2
    assert "not an export of pipeline.export" in capsys.readouterr().err


def test_an_export_of_another_task(tmp_path, capsys):
    (tmp_path / "assets.extra").mkdir()
    (tmp_path / "assets.extra" / "metadata.json").write_text(json.dumps({"task": "forecast"}),
                                                              encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        g2p_export_wer.main([str(tmp_path)])
    assert stopped.value.code == 2
    assert "an export of the forecast task; give a g2p export" in capsys.readouterr().err
