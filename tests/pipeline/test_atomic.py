"""`pipeline.core.atomic`: a reader sees the old content or the new, never half."""

import os

import pytest

from pipeline.core import atomic


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


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_written_files_and_directories_get_the_umask_mode(tmp_path, umask_022):
    # tempfile makes 0600 files and 0700 directories; a server running as
    # another user must still read an export's metadata and a run's reports
    atomic.write_json(str(tmp_path / "m.json"), {"a": 1})
    atomic.write_bytes(str(tmp_path / "b.bin"), b"\x00")
    with atomic.atomic_directory(str(tmp_path / "d")) as staging:
        atomic.write_text(os.path.join(staging, "t.txt"), "x")
    assert oct(os.stat(tmp_path / "m.json").st_mode & 0o777) == oct(0o644)
    assert oct(os.stat(tmp_path / "b.bin").st_mode & 0o777) == oct(0o644)
    assert oct(os.stat(tmp_path / "d").st_mode & 0o777) == oct(0o755)
    assert oct(os.stat(tmp_path / "d" / "t.txt").st_mode & 0o777) == oct(0o644)


def test_a_failed_write_leaves_no_staging_file(tmp_path):
    with pytest.raises(TypeError):
        atomic.write_text(str(tmp_path / "t.txt"), b"not text")
    assert os.listdir(tmp_path) == []
