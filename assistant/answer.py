"""Extractive answers: a short lead with the key facts of the best section(s), the guide's
sentences quoted verbatim, and the section's contact card rendered from its record.

Nothing here writes a figure: amounts, phone numbers, e-mails and URLs are copied from the
section records. The `Answerer` protocol is what a generative mode plugs into.
"""

from __future__ import annotations

import re
from typing import Protocol

import numpy as np

from guide_assistant.assistant.lexical import tokenize
from guide_assistant.assistant.retrieval import SectionHit
from guide_assistant.index.embedders import BundledEmbedding
from guide_assistant.ingest import facts
from guide_assistant.ingest.chunking import chunk_pages, page_offsets
from guide_assistant.records import Citation, Section

MONEY_WORDS = re.compile(r"financ|fund|co[uû]t|cost|combien|how much|montant|amount|€|euro|subvention|grant|"
                         r"aide|prix|price|tarif|pay|paie|budget|money|argent", re.I)
CONTACT_WORDS = re.compile(r"contact|appeler|call|phone|t[ée]l[ée]phone|num[ée]ro|qui |who|e-?mail|joindre|"
                           r"adresse|reach|s'adresser|interlocut", re.I)
WHO_WORDS = re.compile(r"\bqui (anime|présente|presente|intervient|porte|sont|est)\b|\bwho (is|are|presents|runs|leads|"
                       r"speaks|will)\b|intervenant|animat|speaker|présente l|presents? the", re.I)
MULTI_WORDS = re.compile(r"\b(quels ateliers|quelles tables|dans quels|lesquels|quels dispositifs|quelles solutions|"
                         r"which workshops|what (housing |other )?solutions|where else|apart from|besides|"
                         r"autres? (ateliers?|sections?)|et (aussi|ailleurs)|le matin et le midi)\b", re.I)
MULTI_RATIO = 0.75  # on a question asking for several workshops, sections this close to the first are used
MAX_SECTIONS = 3
SECOND_SECTION_RATIO = 0.95  # a second section is used when its fused score is this close to the first's (eval: same recall, better precision than 0.9)
SECOND_SECTION_DENSE_GAP = 0.02  # … and its cosine at most this far below the first's


class Answerer(Protocol):
    """Turns retrieved sections into an answer text and its citations."""

    mode: str

    def answer(self, question: str, language: str, hits: list[SectionHit],
               sections: dict[str, Section]) -> tuple[str, list[Citation]]: ...


def pages_text(pages: list[int]) -> str:
    return f"p. {pages[0]}" if len(pages) == 1 else f"p. {pages[0]}-{pages[-1]}"


def sentence_pages(section: Section, sentence: str) -> list[int]:
    """Pages a quoted sentence lies on (located in the section text, lines unwrapped)."""
    start = section.text.replace("\n", " ").find(sentence[:30])
    if start < 0:
        return section.pages
    return chunk_pages(page_offsets(section), start, start + len(sentence))


def amount_value(text: str) -> float | None:
    """Numeric value of an amount string as printed ("1,30 €" → 1.3, "15 000€" → 15000.0)."""
    digits = re.sub(r"[^\d,]", "", text.split("€")[0].split("euro")[0]).replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


class ExtractiveAnswerer:
    """Grounded extractive answers (mode "extractive"); quotes are ranked by cosine similarity to
    the question (the index's embedder) plus word overlap, with a boost for amounts on money
    questions and for contacts on contact questions."""

    mode = "extractive"

    def __init__(self, embedder: BundledEmbedding, sentence_vectors: dict[str, tuple[list[str], np.ndarray]],
                 max_quotes: int = 3):
        """sentence_vectors: section label → (quotable sentences, their (n, dim) embeddings),
        as persisted with the index."""
        self.embedder = embedder
        self.max_quotes = max_quotes
        self.sentence_vectors = sentence_vectors

    def best_sentences(self, question: str, section: Section, qvec: np.ndarray) -> list[str]:
        """Up to `max_quotes` sentences of `section` that answer `question`, in document order."""
        sents, vecs = self.sentence_vectors.get(section.label, ([], None))
        if not sents:
            return []
        qtok = set(tokenize(question, expand_english=True))
        money, contact = bool(MONEY_WORDS.search(question)), bool(CONTACT_WORDS.search(question))
        scores = []
        for s, v in zip(sents, vecs):
            score = float(v @ qvec) + 0.03 * len(qtok & set(tokenize(s)))
            if money and facts.AMOUNT.search(s):
                score += 0.08
            if contact and (facts.PHONE.search(s) or facts.EMAIL.search(s) or re.search(r"contact", s, re.I)):
                score += 0.08
            scores.append(score)
        top = sorted(np.argsort(scores)[::-1][: self.max_quotes])
        return [sents[i] for i in top]

    def answer(self, question: str, language: str, hits: list[SectionHit],
               sections: dict[str, Section]) -> tuple[str, list[Citation]]:
        used = select_sections(question, hits)
        qvec = np.asarray(self.embedder.get_query_embedding(question), dtype=np.float32)
        parts, citations = [], []
        for k, hit in enumerate(used):
            section = sections[hit.label]
            quotes = self.best_sentences(question, section, qvec)
            if section.kind == "linked-page":
                parts.append(render_linked_page(language, section, quotes, sections, primary=k == 0))
                citations += linked_page_citations(section, quotes, sections)
                continue
            parts.append(render_section(question, language, section, quotes, primary=k == 0))
            for q in quotes:
                citations.append(Citation(section=section.label, title=section.title,
                                          pages=sentence_pages(section, q), quote=q))
            if not quotes:
                citations.append(Citation(section=section.label, title=section.title, pages=section.pages,
                                          quote=section.text.split("\n")[0]))
        return "\n\n".join(parts), citations


def select_sections(question: str, hits: list[SectionHit]) -> list[SectionHit]:
    """The sections an answer draws on: the best one, plus close runners-up — up to three when
    the question asks for several workshops, else one more only when nearly tied."""
    top = hits[0]
    if MULTI_WORDS.search(question):
        return [top] + [h for h in hits[1:MAX_SECTIONS] if h.score >= MULTI_RATIO * top.score]
    return [top] + [h for h in hits[1:2] if h.score >= SECOND_SECTION_RATIO * top.score
                    and h.dense >= top.dense - SECOND_SECTION_DENSE_GAP]


def speakers_card(section: Section, language: str) -> str:
    """The section's speakers and their roles, verbatim from its record."""
    if not section.speakers:
        return ""
    head = f"Intervenants ({section.label})" if language == "fr" else f"Speakers ({section.label})"
    return head + "\n" + "\n".join(f"- {p.name}" + (f", {p.role}" if p.role else "") for p in section.speakers)


def premise_warning(question: str, section: Section, language: str) -> str:
    """A correction when the question states an amount the section does not give."""
    asked = [amount_value(m.group()) for m in facts.AMOUNT.finditer(question)]
    asked += [amount_value(m.group(1)) for m in re.finditer(r"€\s?(\d+(?:[.,]\d+)?)", question)]
    given = {amount_value(a) for f in section.funding for a in f.amounts}
    wrong = [a for a in asked if a is not None and a not in given]
    if not wrong or not given:
        return ""
    amounts = " ".join(f"« {f.sentence} »" for f in section.funding)
    if language == "en":
        return f"Note: the amount in your question is not the one in the guide. The guide says: {amounts}"
    return f"Attention : le montant de votre question n'est pas celui du guide. Le guide indique : {amounts}"


def contact_card(section: Section, language: str) -> str:
    """The section's contacts, verbatim from its record (empty when it lists none)."""
    lines = []
    for c in section.contacts:
        if c.kind == "organisation":
            lines.append(f"- {c.value}")
        elif not any(c.value in x for x in lines):
            label = {"phone": "Tél." if language == "fr" else "Phone", "email": "E-mail", "url": "Site"}[c.kind]
            lines.append(f"- {label} : {c.value}" if language == "fr" else f"- {label}: {c.value}")
    if not lines:
        return ""
    head = f"Contacts ({section.label})" if language == "fr" else f"Who to contact ({section.label})"
    return head + "\n" + "\n".join(lines)


def render_section(question: str, language: str, section: Section, quotes: list[str], primary: bool) -> str:
    """Lead, key amounts, quotes and contact card for one section."""
    place = f" ({section.place})" if section.place else ""
    title = "" if section.title == section.label else f" « {section.title} »"
    where = f"{section.label}{title}{place}, {pages_text(section.pages)}"
    if language == "en":
        lead = ("The guide covers this in " if primary else "See also ") + where + "."
        if quotes:
            lead += " What the guide says (quoted in French):"
    else:
        lead = ("D'après le guide, voir " if primary else "Voir aussi ") + where + "."
        if quotes:
            lead += " Ce que dit le guide :"
    warning = premise_warning(question, section, language) if primary else ""
    out = [warning, lead]  # a correction of the question comes first
    out.append(quote_block([q for q in quotes if q not in warning]))
    money_lines = [f.sentence for f in section.funding if f.sentence not in quotes]
    if money_lines and primary and MONEY_WORDS.search(question):
        head = "Montants cités" if language == "fr" else "Amounts in the guide"
        out.append(f"{head} : " + " ".join(f"« {s} »" for s in money_lines) if language == "fr"
                   else f"{head}: " + " ".join(f"« {s} »" for s in money_lines))
    if primary and WHO_WORDS.search(question):
        out.append(speakers_card(section, language))
    out.append(contact_card(section, language))
    return "\n\n".join(x for x in out if x)


def quote_block(quotes: list[str]) -> str:
    """Quotes as one Markdown block quote, a line each (blank lines around it keep the next
    paragraph out of it)."""
    return "\n".join(f"> « {q} »  " for q in quotes)


def citing_sentence(workshop: Section, url: str) -> str:
    """The guide's sentence of `workshop` that cites `url` (or its first line when not found)."""
    host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    return next((s for s in facts.sentences(workshop.text) if host and host in s), workshop.text.split("\n")[0])


def linked_page_citations(page: Section, quotes: list[str], sections: dict[str, Section]) -> list[Citation]:
    """Citations of a linked page's quotes, then of each workshop that cites the page."""
    citing = [sections[label] for label in page.cited_by if label in sections]
    owner = citing[0].label if citing else page.label
    out = [Citation(section=owner, title=f"Page liée depuis {owner} : {page.title} — {page.url}",
                    pages=page.pages, quote=q) for q in quotes]
    out += [Citation(section=w.label, title=w.title, pages=page.pages, quote=citing_sentence(w, page.url))
            for w in citing]
    return out


def render_linked_page(language: str, page: Section, quotes: list[str], sections: dict[str, Section],
                       primary: bool) -> str:
    """A linked page's lead (which workshop cites it, its URL), quotes, and the citing workshop's
    contact card."""
    citing = [sections[label] for label in page.cited_by if label in sections]
    names = ", ".join(f"{w.label} ({pages_text(page.pages)})" for w in citing) or "le guide"
    if language == "en":
        lead = (f"{'From' if primary else 'See also'} a page linked from {names} of the guide: "
                f"« {page.title} » — {page.url}.")
        lead += " What it says (quoted):" if quotes else ""
    else:
        lead = (f"{'D’après' if primary else 'Voir aussi'} une page liée depuis {names} du guide : "
                f"« {page.title} » — {page.url}.")
        lead += " Ce qu'elle indique :" if quotes else ""
    out = [lead, quote_block(quotes)] + [contact_card(w, language) for w in citing[:1]]
    return "\n\n".join(x for x in out if x)
