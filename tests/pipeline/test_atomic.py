"""`pipeline.atomic`: a reader sees the old content or the new, never half."""

import os

import pytest

from pipeline import atomic


def test_write_text_replaces_whole_file_and_leaves_no_staging(tmp_path):
    path = tmp_path / "sub" / "report.md"
    atomic.write_text(str(path), "old\n")
    atomic.write_text(str(path), "néw\n")
    assert path.read_text(encoding="utf-8") == "néw\n"
    assert os.listdir(path.parent) == ["report.md"]


def test_atomic_directory_keeps_old_content_when_block_fails(tmp_path):
    target = tmp_path / "export"
    with atomic.atomic_directory(str(target)) as staging:
        open(os.path.join(staging, "a"), "w").close()
    with pytest.raises(RuntimeError), atomic.atomic_directory(str(target)) as staging:
        open(os.path.join(staging, "b"), "w").close()
        raise RuntimeError("killed mid-write")
    assert sorted(os.listdir(target)) == ["a"]
    assert sorted(os.listdir(tmp_path)) == ["export"]
