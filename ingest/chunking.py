"""Sections → chunks (llama-index TextNodes) sized in the embedder's own tokens.

A chunk never crosses a section boundary: each section is split on its own by llama-index's
`SentenceSplitter`, whose tokenizer is the embedder's. The embedded text of a chunk is a
header (label — title (place), theme) followed by the chunk's text; the header counts against
the size, and every embedded text is checked to fit the embedder's maximum sequence length.
"""

from __future__ import annotations

import bisect
from typing import Callable

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import MetadataMode, TextNode

from guide_assistant.errors import ChunkingError
from guide_assistant.records import Chunk, Section

# Metadata shown to the embedder and the answer step; the rest is bookkeeping.
EMBED_KEYS = ("heading", "theme")


def heading(section: Section) -> str:
    """"Atelier n°2 — Les petits déjeuners … (Tarbes, Hautes-Pyrénées)", or for a linked page
    "Page liée depuis Atelier n°1 — <page title>"."""
    if section.kind == "linked-page":
        return f"Page liée depuis {', '.join(section.cited_by) or 'le guide'} — {section.title}"
    place = f" ({section.place})" if section.place else ""
    title = "" if section.title == section.label else f" — {section.title}"
    return f"{section.label}{title}{place}"


def section_document(section: Section) -> Document:
    """One llama-index Document per section, its metadata ready for the chunks."""
    metadata = {
        "heading": heading(section),
        "theme": section.theme,
        "section": section.label,
        "title": section.title,
        "source": section.source,
        "pages": section.pages,
    }
    excluded = [k for k in metadata if k not in EMBED_KEYS]
    return Document(
        text=section.text,
        metadata=metadata,
        excluded_embed_metadata_keys=excluded,
        excluded_llm_metadata_keys=excluded,
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )


def chunk_pages(page_starts: list[tuple[int, int]], start: int, end: int) -> list[int]:
    """Pages covered by characters [start, end) of the section text.

    page_starts: (offset where the page's text begins, page number), ascending.
    """
    offsets = [o for o, _ in page_starts]
    first = max(bisect.bisect_right(offsets, start) - 1, 0)
    last = max(bisect.bisect_right(offsets, max(end - 1, start)) - 1, 0)
    return sorted({page_starts[k][1] for k in range(first, last + 1)})


def page_offsets(section: Section) -> list[tuple[int, int]]:
    """(offset, page) where each new page's lines begin in the section text."""
    out: list[tuple[int, int]] = []
    offset = 0
    for line, page in zip(section.text.split("\n"), section.line_pages):
        if not out or out[-1][1] != page:
            out.append((offset, page))
        offset += len(line) + 1
    return out


def chunk_section(
    section: Section,
    splitter: SentenceSplitter,
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> list[tuple[Chunk, TextNode]]:
    """Split one section; returns each chunk as our record and as the llama-index node.

    Raises ChunkingError (a ValueError) when an embedded text exceeds `max_tokens` (lower the
    chunk size).
    """
    doc = section_document(section)
    offsets = page_offsets(section)
    out: list[tuple[Chunk, TextNode]] = []
    cursor = 0
    for node in splitter.get_nodes_from_documents([doc]):
        text = node.get_content(metadata_mode=MetadataMode.NONE)
        start = section.text.find(text[:40], cursor)
        start = start if start >= 0 else cursor
        cursor = start + 1
        n_tokens = count_tokens(node.get_content(metadata_mode=MetadataMode.EMBED))
        if n_tokens > max_tokens:
            raise ChunkingError(
                f"A chunk of {section.label} has {n_tokens} tokens, over the embedder's limit of "
                f"{max_tokens}: lower GUIDE_ASSISTANT_INGEST__CHUNK_SIZE."
            )
        pages = chunk_pages(offsets, start, start + len(text))
        chunk = Chunk(
            id=Chunk.make_id(section.source, section.label, text),
            source=section.source,
            section=section.label,
            title=section.title,
            pages=pages,
            text=text,
            n_tokens=n_tokens,
        )
        node.id_ = chunk.id
        node.metadata["pages"] = pages
        node.relationships = {}
        out.append((chunk, node))
    return out


def chunk_sections(
    sections: list[Section], chunk_size: int, chunk_overlap: int,
    count_tokens: Callable[[str], int], max_tokens: int,
) -> list[tuple[Chunk, TextNode]]:
    """Chunks of every section, in document order (sizes in the embedder's tokens).

    Raises ChunkingError (a ValueError) with the setting to change when a chunk would exceed
    `max_tokens`, or when llama-index's splitter refuses the sizes (an overlap over the chunk
    size, a section's heading and metadata longer than a chunk).
    """
    try:
        splitter = SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            tokenizer=lambda text: [0] * count_tokens(text),
            paragraph_separator="\n\n",
            include_prev_next_rel=False,
        )
        return [pair for s in sections for pair in chunk_section(s, splitter, count_tokens, max_tokens)]
    except ChunkingError:
        raise
    except ValueError as exc:
        raise ChunkingError(
            f"The guide's sections cannot be cut into chunks of {chunk_size} tokens with {chunk_overlap} of "
            f"overlap ({exc}): change GUIDE_ASSISTANT_INGEST__CHUNK_SIZE or GUIDE_ASSISTANT_INGEST__CHUNK_OVERLAP."
        ) from exc
