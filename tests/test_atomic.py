"""Atomic writes (guide_assistant/atomic.py) on a real folder: the new content replaces the old
whole, a failed write keeps the old file, and no temporary file is left either way."""

from __future__ import annotations

import pytest

from guide_assistant.atomic import atomic_open, atomic_path, write_atomic


def test_write_replaces_whole_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "out.jsonl"
    write_atomic(target, "ancien\n")
    write_atomic(target, "nouveau é\n")
    assert target.read_text(encoding="utf-8") == "nouveau é\n"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.jsonl"]


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, "ancien\n")
    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write("moitié")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "ancien\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_writer_opening_the_path_itself(tmp_path):
    target = tmp_path / "state.bin"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".state.bin.") and tmp.name.endswith(".tmp")
        tmp.write_bytes(b"state")
    assert target.read_bytes() == b"state" and [p.name for p in tmp_path.iterdir()] == ["state.bin"]
