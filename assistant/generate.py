"""Generative answers (mode "llm"): the model writes a short answer from numbered sources, then
the application checks it before anyone sees it.

1. Sources: the best sections (not ten chunks). Source [1] is the whole text of the best
   section, so "system prompt + source [1]" is the same for every question on that section and
   its evaluated state is saved once and reloaded (assistant/prefix_states.py); the others are
   that section's sentences that best answer the question, capped in characters.
2. Citations belong to the application: [n] markers are mapped to sections and rewritten as
   "(Atelier n°2, p. 7)"; numbers the model was never given are dropped; when the model cites
   nothing, the sections whose words support the answer are cited.
3. Per-citation check: every phone number, e-mail, URL, € amount and date of a sentence must
   appear in the text of the sections that sentence cites (or the answer cites), and in the
   cited sentence that says what its clause says (assistant/support.py: a figure bound to
   another subject); a sentence that carries an unsupported detail is removed, and the event
   is logged.
4. "NON TROUVÉ" / "NOT FOUND" from the model, or nothing left after the check, is a refusal.
5. The contact card is rendered from the section's record, never generated.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from llama_index.core.llms import LLM, ChatMessage

from guide_assistant.assistant.answer import (
    ExtractiveAnswerer,
    Reply,
    SourceRefusal,
    contact_card,
    dated_quote,
    has_figure,
    premise_warning,
    sentence_pages,
)
from guide_assistant.details import Evidence, extract_details
from guide_assistant.assistant.lexical import Translate, tokenize
from guide_assistant.assistant.prefix_states import PrefixStates
from guide_assistant.assistant.retrieval import SectionHit
from guide_assistant.assistant.scope import Edition
from guide_assistant.assistant.support import ClauseEvidence
from guide_assistant.index.embedders import BundledEmbedding
from guide_assistant.prompts import load_prompt
from guide_assistant.records import Citation, Section, Turn

if TYPE_CHECKING:  # judge.py builds its prompts with this module's functions
    from guide_assistant.assistant.judge import Judge

log = logging.getLogger(__name__)

NOT_FOUND = re.compile(r"NON TROUV[ÉE]|NOT FOUND", re.I)
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# A sentence ends after . ! ? that follows a letter (French "temps ?" too) or a closing mark (not
# "1." of a list), or at a newline.
_SENTENCE = re.compile(r"(?<=[^\W\d_][.!?])\s+|(?<=[^\W\d_] [!?])\s+|(?<=[)»\]][.!?])\s+|\n+")
_LIST_NUMBER = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s*")
_BROKEN_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d*)*(?=\s|$)|\[\s*$")  # "[4" or "[" where the token cap cut a marker
_PLACEHOLDER = re.compile(r"\[\s*[^\W\d_]")  # "[Insert Date]", "[Nom]": a template slot, not a marker
FORM_REASONS = frozenset({"truncated", "placeholder", "meta", "echo", "repeat", "dangling", "agrees", "unsupported"})
# Least share of an answer's words that must come from the cited sections or the question, else
# the model is not answering from the guide (generic advice, an off-topic answer). Measured on
# the 108-question eval run of 2026-11-29: every French answer under 0.35 was off-topic or
# wrong, the best ones at 0.58+; English words are only partly mapped to the French text by the
# glossary, so English gets a low bar (an off-topic answer at 0.13, a right one at 0.21).
MIN_GROUNDED = {"fr": 0.4, "en": 0.15}
# A sentence agreeing with the question ("Oui", "Yes, the figure is correct"): dropped when the
# question states an amount the guide contradicts.
AFFIRM = re.compile(r"^(oui|yes|effectivement|indeed)\b|\b(correct|exact|confirm|c'est bien|that's right)", re.I)
# One model call at a time: a llama.cpp context is not thread-safe, and the chat answers requests in
# several threads (app.concurrency). Every call of the local model (judgement, generation, condensing,
# prefix states) holds it; retrieval and extractive answers never take it.
GENERATION_LOCK = threading.Lock()
# A sentence about the prompt rather than the answer ("the source mentions…", "sources numérotées").
META = re.compile(r"\bsources?\b|\bnumérot|\bnumbered\b", re.I)
SUPPORT_OVERLAP = 0.3  # share of an answer's words a section must hold to be cited for it
SOURCE_RATIO = 0.75  # sections whose fused score is at least this share of the best one's become sources


@dataclass
class Draft:
    """One generation: the numbered sources, the messages sent, and the raw text received."""

    question: str
    language: str
    hits: list[SectionHit]
    sources: list["Source"]
    messages: list[ChatMessage]
    raw: str = ""
    prefix_state: str = ""  # how the prompt's fixed prefix was obtained: live, loaded, saved (or "" if none)
    removed: list[tuple[str, list[str]]] = field(default_factory=list)  # sentences the checks removed, and why


@dataclass(frozen=True)
class Source:
    """A numbered source given to the model."""

    number: int
    section: Section
    text: str


def build_sources(question: str, hits: list[SectionHit], sections: dict[str, Section], picker: ExtractiveAnswerer,
                  qvec: np.ndarray, max_sources: int, max_chars: int, lead_chars: int) -> list[Source]:
    """Numbered sources from the best sections. [1]: the best section's whole text (its first
    `lead_chars` characters), the same for every question, so its evaluated state can be reused.
    [2]…: each further section's sentences that best answer the question (the extractive
    step's choice, in document order), capped at `max_chars` characters: they are evaluated
    for every question, so they stay short."""
    out = []
    for n, hit in enumerate(hits[:max_sources], start=1):
        section = sections[hit.label]
        if n == 1:
            out.append(lead_source(section, lead_chars))
            continue
        text = " ".join(picker.best_sentences(question, section, qvec)) or section.text
        out.append(Source(n, section, text[:max_chars]))
    return out


def lead_source(section: Section, lead_chars: int) -> Source:
    """Source [1]: the section's whole text (its first `lead_chars` characters)."""
    return Source(1, section, section.text[:lead_chars])


def section_messages(user_prompt: str, language: str, question: str, sources: list[Source]) -> list[ChatMessage]:
    """The shared system prompt, then `user_prompt` ("answer_user", "judge_user") over the
    numbered sources. Both user prompts open with the sources, so "system + source [1]" is one
    prefix whose saved state serves answers and judgements alike."""
    return [
        ChatMessage(role="system", content=load_prompt("answer_system").render()),
        ChatMessage(role="user", content=load_prompt(user_prompt, language).render(
            sources=render_sources(sources), question=question)),
    ]


def fixed_prefix(llm: LLM, messages: list[ChatMessage], sources: list[Source]) -> tuple[str, str]:
    """(prefix, prompt): the formatted prompt and its part that ends with source [1]'s text,
    the same for every question whose best section is that source."""
    prompt = llm.messages_to_prompt(messages)
    block = render_sources(sources[:1])
    return prompt[:prompt.index(block) + len(block)], prompt


def save_section_states(llm: LLM, states: PrefixStates | None, sections: list[Section], lead_chars: int,
                        progress: Callable[[int, int], None] | None = None, prune: bool = False) -> dict[str, int]:
    """Save the prefix state ("system prompt + source [1]", shared by answers and judgements) of
    every section: about 5-15 s per section for the 1.5B model on 2 cores the first time, then
    only a check that the file exists. With `prune`, delete the states of prefixes no longer in
    use (a section's text changed). `sections`: all the sections a question can lead with. Takes
    the generation lock section by section, so questions interleave. Returns how many states were
    already present and how many were saved. Does nothing without `states`."""
    counts: dict[str, int] = {}
    keep = set()
    for k, section in enumerate(sections if states else []):
        sources = [lead_source(section, lead_chars)]
        prefix, _ = fixed_prefix(llm, section_messages("answer_user", "fr", "?", sources), sources)
        with GENERATION_LOCK:  # the key tokenises with the model too
            how = states.ensure(prefix)
            keep.add(states.key(prefix))
        counts[how] = counts.get(how, 0) + 1
        if progress:
            progress(k + 1, len(sections))
    if states and prune:
        states.prune(keep)
    return counts


def render_sources(sources: list[Source]) -> str:
    return "\n\n".join(f"[{s.number}] {s.section.label} — {s.section.title} ({s.section.page_span()})\n{s.text}"
                       for s in sources)


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a generated text (list numbers and bullets removed)."""
    parts = (_LIST_NUMBER.sub("", s).strip() for s in _SENTENCE.split(text))
    return [p for p in parts if re.search(r"\w", _MARKER.sub("", p))]


def sentence_numbers(sentence: str, valid: set[int]) -> list[int]:
    """Source numbers cited in a sentence that were actually given (others are dropped)."""
    nums = [int(n) for m in _MARKER.finditer(sentence) for n in re.split(r"\s*[,;]\s*", m.group(1))]
    return [n for n in dict.fromkeys(nums) if n in valid]


def strip_markers(sentence: str) -> str:
    """The sentence without its [n] markers, a marker cut off by the token cap ("[4"), or runs of
    spaces."""
    text = _BROKEN_MARKER.sub("", _MARKER.sub("", sentence))
    return re.sub(r"\s+([.,])", r"\1", re.sub(r"\s+", " ", text)).strip()  # French keeps a space before : ; ! ?


def tidy(raw: str) -> str:
    """Generated text with markdown links written out ("[site](https://…)" → "site (https://…)")
    and numbers taken out of brackets ("[09 69 39 00 00]"), so that brackets left are markers
    or template placeholders ("[Insert Date]")."""
    raw = re.sub(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)", r"\1 (\2)", raw)
    return re.sub(r"\[((?:[^\]\d\n]*\d){4,}[^\]\n]*)\]", r"\1", raw)


def is_truncated(raw: str) -> bool:
    """True when the text stops mid-sentence (the token cap was reached)."""
    return not re.search(r"[.!?…:;)\]»\"]\**\s*$", raw)  # "**Étape 1.**" ends, "**Contact" does not


def supporting_sections(text: str, sources: list[Source], translate: Translate | None = None) -> list[int]:
    """Sources whose section holds at least SUPPORT_OVERLAP of the text's words (best first);
    translate: the index's WordMap.translate (words the guide never prints count as its closest)."""
    words = set(tokenize(text, translate))
    if not words:
        return []
    shares = [(len(words & set(tokenize(s.section.text))) / len(words), s.number) for s in sources]
    return [n for share, n in sorted(shares, reverse=True) if share >= SUPPORT_OVERLAP]


def check_answer(raw: str, sources: list[Source], question: str = "",
                 translate: Translate | None = None) -> tuple[list[tuple[str, list[int]]], list[tuple[str, list[str]]]]:
    """Verify a generated answer sentence by sentence.

    Returns the kept sentences (marker-free) with the source numbers each cites, and the
    removed sentences with why they were removed: the unsupported details as written (phone,
    e-mail, URL, amount, date, a number with a unit such as "24 mois", any 7+-digit number), or
    one of FORM_REASONS. A sentence without a marker takes the answer's cited numbers; with none
    anywhere, the supporting sections.
    """
    valid = {s.number for s in sources}
    by_number = {s.number: s for s in sources}
    sentences = split_sentences(tidy(raw))
    cited_anywhere = [n for s in sentences for n in sentence_numbers(s, valid)]
    fallback = list(dict.fromkeys(cited_anywhere)) or supporting_sections(raw, sources, translate)[:2] or [sources[0].number]
    kept, removed = [], []
    for k, sentence in enumerate(sentences):
        nums = sentence_numbers(sentence, valid) or fallback
        clean = strip_markers(sentence)
        if not clean:
            continue
        cut = k == len(sentences) - 1 and is_truncated(raw)
        problem = form_problem(clean, question, [t for t, _ in kept], cut)
        if problem:
            removed.append((clean, [problem]))
            continue
        evidence = Evidence("\n\n".join(by_number[n].section.text for n in nums))
        bad = [d.text for d in extract_details(clean, dates=True, quantities=True) if not evidence.supports(d)]
        if bad:
            log.warning("Generated sentence removed, unsupported %s: %r", bad, clean)
            removed.append((clean, bad))
            continue
        kept.append((clean, nums))
    if kept and kept[-1][0].endswith(":"):  # "The steps are as follows:" with every step removed
        removed.append((kept.pop()[0], ["dangling"]))
    return kept, removed


def grounded_share(text: str, cited: list[str], question: str, language: str,
                   translate: Translate | None = None) -> float:
    """Share of the answer's content words (stemmed, accents folded; in English, also as the
    guide's closest words by `translate`) found in the cited sections' text or in the question."""
    translate = translate if language == "en" else None
    words = set(tokenize(text, translate))
    known = set(tokenize(question, translate)).union(*(tokenize(t) for t in cited))
    return len(words & known) / len(words) if words else 1.0


def form_problem(sentence: str, question: str, kept: list[str], cut: bool) -> str:
    """Why a generated sentence cannot be shown whatever its details (one of FORM_REASONS), or "".
    "truncated": cut off by the token cap; "placeholder": a template slot ("[Insert Date]");
    "meta": talks about the sources; "echo": only repeats the question; "repeat": says again
    a sentence already kept (small models loop). ("dangling", an announcement whose items were
    all removed, is decided in `check_answer`; "agrees" in `GenerativeAnswerer.finish`.)"""
    if cut:
        return "truncated"
    if _PLACEHOLDER.search(sentence):
        return "placeholder"
    if META.search(sentence):
        return "meta"
    if is_echo(sentence, question):
        return "echo"
    if sentence.casefold() in {k.casefold() for k in kept}:
        return "repeat"
    return ""


def is_echo(sentence: str, question: str) -> bool:
    """True when every word of the sentence is already in the question (the model repeated it)."""
    words = set(tokenize(sentence))
    return bool(words) and words <= set(tokenize(question))


def with_citation(sentence: str, names: list[str]) -> str:
    """The sentence with its citations before its final stop: "… par petit-déjeuner (Atelier n°2, p. 7)."."""
    end = sentence[-1] if sentence[-1] in ".!?:" else ""
    return f"{sentence[:len(sentence) - len(end)].rstrip()} ({'; '.join(names)}){end or '.'}"


def render_body(kept: list[tuple[str, list[int]]], names: dict[int, str], dated: str = "") -> str:
    """Kept sentences, each run of sentences citing the same sources followed once by the
    citation: "A. B (Atelier n°2, p. 7). C (Atelier n°1, p. 6).". A sentence stating a figure
    ends its run, and its citation starts with `dated` (the guide's edition, "guide de juillet
    2021"): "… 1,30 € par petit-déjeuner (guide de juillet 2021 ; Atelier n°2, p. 7)."."""
    out = []
    for k, (text, nums) in enumerate(kept):
        figure = bool(dated) and has_figure(text)
        last_of_run = figure or k + 1 == len(kept) or kept[k + 1][1] != nums
        if last_of_run:
            out.append(with_citation(text, [dated] * figure + [names[n] for n in nums]))
        else:  # a list item without a stop still ends before the next one starts
            out.append(text if text[-1] in ".!?:;" else f"{text} ;")
    return " ".join(out)


class GenerativeAnswerer:
    """Answer step of mode "llm" (same interface as the extractive one, plus streaming and a
    follow-up rewrite). `llm` is passed in explicitly."""

    mode = "llm"
    splits_parts = False  # the model reads a message of several questions whole

    def __init__(self, llm: LLM, embedder: BundledEmbedding,
                 sentence_vectors: dict[str, tuple[list[str], np.ndarray]], max_sources: int = 2,
                 source_chars: int = 300, lead_source_chars: int = 3200, history_turns: int = 4,
                 states: PrefixStates | None = None, translate: Translate | None = None,
                 judge: Judge | None = None, support_threshold: float = 0.3, edition: Edition | None = None):
        """Answers fall back to `ExtractiveAnswerer` (verbatim quotes) when no generated sentence
        survives the check. `states`: saved prompt prefixes of a local llama.cpp model (None for
        an endpoint, or to evaluate every prompt in full); `llm.messages_to_prompt` must be the
        formatting the model receives. translate: the index's WordMap.translate. judge: the
        answerability judge on the same local model, which also checks that each generated
        sentence is supported by its cited section (`supported`; None: not checked). edition: the
        guide's date, marked beside every figure (None: figures are not dated)."""
        self.llm = llm
        self.edition = edition
        self.judge = judge
        self.support_threshold = support_threshold
        self.translate = translate
        self.states = states
        self.lead_source_chars = lead_source_chars
        self.fallback = ExtractiveAnswerer(embedder, sentence_vectors, max_quotes=4, edition=edition, translate=translate)
        self.clauses = ClauseEvidence(sentence_vectors, translate)
        self.embedder = embedder
        self.sentence_vectors = sentence_vectors
        self.max_sources = max_sources
        self.source_chars = source_chars
        self.history_turns = history_turns
        for lang in ("fr", "en"):  # fail at start-up, not at the first question, on a bad prompt file
            for name in ("answer_user", "condense"):
                load_prompt(name, lang)
        load_prompt("answer_system")

    # ----------------------------------------------------------------- follow-ups

    def condense(self, question: str, history: list[Turn], language: str) -> str:
        """The question rewritten to stand alone, using the last `history_turns` messages."""
        recent = history[-self.history_turns:] if self.history_turns else []
        if not recent:
            return question
        lines = "\n".join(f"{'Élu' if t.role == 'user' else 'Assistant'} : {t.content[:400]}" for t in recent)
        prompt = load_prompt("condense", language).render(history=lines, question=question)
        with GENERATION_LOCK:
            text = self.llm.complete(prompt).text.strip()
        rewritten = text.splitlines()[0].strip() if text else ""
        return rewritten if 5 < len(rewritten) < 400 else question

    # ----------------------------------------------------------------- answering

    def messages(self, question: str, language: str, sources: list[Source]) -> list[ChatMessage]:
        return section_messages("answer_user", language, question, sources)

    def prepare(self, question: str, language: str, hits: list[SectionHit],
                sections: dict[str, Section]) -> Draft:
        """Choose the sources and build the messages for one question."""
        close = [h for h in hits if h.score >= SOURCE_RATIO * hits[0].score]
        qvec = np.asarray(self.embedder.get_query_embedding(question), dtype=np.float32)
        sources = build_sources(question, close, sections, self.fallback, qvec, self.max_sources, self.source_chars,
                                self.lead_source_chars)
        return Draft(question, language, hits, sources, self.messages(question, language, sources))

    def fixed_prefix(self, messages: list[ChatMessage], sources: list[Source]) -> tuple[str, str]:
        """See `fixed_prefix` (module level)."""
        return fixed_prefix(self.llm, messages, sources)

    def warm(self, sections: list[Section], progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Save the prefix state of every section as source [1] and delete the states of prefixes
        no longer in use (see `save_section_states`). Does nothing without `states`."""
        return save_section_states(self.llm, self.states, sections, self.lead_source_chars, progress, prune=True)

    def stream(self, draft: Draft) -> Iterator[str]:
        """Yield the model's raw text as it is generated (unchecked: show it as a draft only);
        it accumulates in `draft.raw`."""
        with GENERATION_LOCK:
            if self.states:
                prefix, prompt = self.fixed_prefix(draft.messages, draft.sources)
                draft.prefix_state = self.states.prime(prefix, prompt)
                log.info("prompt prefix (system + %s): %s", draft.sources[0].section.label, draft.prefix_state)
            for chunk in self.llm.stream_chat(draft.messages):
                draft.raw += chunk.delta or ""
                yield chunk.delta or ""

    def respond(self, question: str, standalone: str, language: str, hits: list[SectionHit],
                sections: dict[str, Section], trace: dict) -> Iterator[str | Reply]:
        """See `Answerer.respond`: the model reads the standalone question; the raw text streams
        as drafted, then the checked Reply. `trace` gets the raw text ("generated"), how the
        prompt prefix was obtained ("prefix_state") and the sentences the checks removed, with
        why ("removed", which the eval counts). Raises SourceRefusal."""
        draft = self.prepare(standalone, language, hits, sections)
        yield from self.stream(draft)
        trace["generated"], trace["prefix_state"] = draft.raw, draft.prefix_state
        try:
            yield Reply(*self.finish(draft, sections))
        finally:
            trace["removed"] = draft.removed

    def answer(self, question: str, language: str, hits: list[SectionHit],
               sections: dict[str, Section]) -> tuple[str, list[Citation]]:
        """Generate, check and render. Raises SourceRefusal when nothing verifiable is left."""
        draft = self.prepare(question, language, hits, sections)
        for _ in self.stream(draft):
            pass
        return self.finish(draft, sections)

    def finish(self, draft: Draft, sections: dict[str, Section]) -> tuple[str, list[Citation]]:
        """Check the generated text and render it with citations and the contact card.

        A sentence removed for a wrong detail is replaced by the guide's own closest sentence. A
        question stating an amount the guide contradicts gets the correction first, and no
        sentence agreeing with it ("agrees"). When no sentence survives, the answer is the
        extractive one. Raises SourceRefusal when the model found no answer in the sources, or
        when its answer is not grounded in them (see MIN_GROUNDED).
        """
        raw, sources = draft.raw, draft.sources
        log.info("generated: %r", raw)
        if NOT_FOUND.search(raw) or not raw.strip():
            raise SourceRefusal("the model found no answer in the sources")
        kept, removed = check_answer(raw, sources, draft.question, self.translate)
        kept, misbound = self.bound(kept, sources)
        kept, unsupported = self.supported(draft, kept)
        removed += misbound + unsupported
        draft.removed = removed
        warning = premise_warning(draft.question, sources[0].section, draft.language, self.edition)
        if warning:  # the question states an amount the guide contradicts: no "yes, that is right"
            removed += [(t, ["agrees"]) for t, _ in kept if AFFIRM.search(t)]
            kept = [(t, nums) for t, nums in kept if not AFFIRM.search(t)]
        if not kept:
            log.warning("No generated sentence survived the check; extractive answer given instead.")
            return self.fallback.answer(draft.question, draft.language, draft.hits, sections)
        by_number = {s.number: s for s in sources}
        used = list(dict.fromkeys(n for _, nums in kept for n in nums))
        share = grounded_share(" ".join(t for t, _ in kept), [by_number[n].section.text for n in used],
                               draft.question, draft.language, self.translate)
        if share < MIN_GROUNDED.get(draft.language, 0.4):
            raise SourceRefusal(f"only {share:.0%} of the answer's words come from the cited sections or the question")
        body = render_body(kept, {n: s.section.citation for n, s in by_number.items()},
                           self.edition.label(draft.language) if self.edition else "")
        main = by_number[used[0]].section
        wrong = " ".join(t for t, why in removed if not FORM_REASONS.issuperset(why))  # a wrong detail, not a form
        parts = [warning, body,
                 self.guide_says(wrong, draft.language, main) if wrong else "", contact_card(main, draft.language)]
        citations = [self.citation(by_number[n].section, " ".join(t for t, ns in kept if n in ns)) for n in used]
        return "\n\n".join(p for p in parts if p), citations

    def bound(self, kept: list[tuple[str, list[int]]],
              sources: list[Source]) -> tuple[list[tuple[str, list[int]]], list[tuple[str, list[str]]]]:
        """(kept, removed): the sentences whose every detail stands in the cited sentence that
        says what its clause says, and the others with their misbound details (see
        assistant/support.py: "the State pays €3 per school breakfast", 3 € being the canteen's)."""
        by_number = {s.number: s.section.label for s in sources}
        out, removed = [], []
        for text, nums in kept:
            bad = [d.text for d in self.clauses.misbound(text, [by_number[n] for n in nums])]
            if bad:
                log.warning("Generated sentence removed, detail bound to another subject %s: %r", bad, text)
                removed.append((text, bad))
            else:
                out.append((text, nums))
        return out, removed

    def supported(self, draft: Draft,
                  kept: list[tuple[str, list[int]]]) -> tuple[list[tuple[str, list[int]]], list[tuple[str, list[str]]]]:
        """(kept, removed): the sentences that one of their cited sections supports (the judge's
        pointwise mutual information of the sentence with the section, see `Judge.support`, at
        least `support_threshold` nats per token), and the others ("unsupported"). Each cited
        section is read once, with the sentences that cite it as the reply. All kept without a
        judge (an endpoint, or the judge off)."""
        if self.judge is None or not kept:
            return kept, []
        by_number = {s.number: s.section for s in draft.sources}
        scores = [float("-inf")] * len(kept)
        for n in dict.fromkeys(n for _, nums in kept for n in nums):
            citing = [i for i, (_, nums) in enumerate(kept) if n in nums]
            pmi = self.judge.support(draft.question, draft.language, [kept[i][0] for i in citing], by_number[n])
            log.info("support of %s: %s", by_number[n].label, [round(x, 3) for x in pmi])
            for i, score in zip(citing, pmi):
                scores[i] = max(scores[i], score)
        out, removed = [], []
        for (text, nums), score in zip(kept, scores):
            if score >= self.support_threshold:
                out.append((text, nums))
            else:
                log.warning("Generated sentence removed, unsupported by its cited source (%.2f nats/token): %r", score, text)
                removed.append((text, ["unsupported"]))
        return out, removed

    def guide_says(self, claim: str, language: str, section: Section) -> str:
        """The section's sentence closest to a removed claim, verbatim, with its citation: what
        the guide says instead."""
        qvec = np.asarray(self.embedder.get_query_embedding(claim), dtype=np.float32)
        best = self.fallback.best_sentences(claim, section, qvec)
        if not best:
            return ""
        scores = [float(v @ qvec) for v in self.embedder_vectors(section, best)]
        quote = best[int(np.argmax(scores))]
        if language == "fr":
            return f"Le guide indique : {dated_quote(quote, self.edition, language)} ({section.citation})"
        return f"The guide says (in French): {dated_quote(quote, self.edition, language)} ({section.citation})"

    def embedder_vectors(self, section: Section, sentences: list[str]) -> list[np.ndarray]:
        sents, vecs = self.sentence_vectors[section.label]
        return [vecs[sents.index(s)] for s in sentences]

    def citation(self, section: Section, claim: str) -> Citation:
        """Cite `section` with its sentence closest to the generated claim (verbatim quote)."""
        sents, vecs = self.sentence_vectors.get(section.label, ([], None))
        if not sents:
            return Citation(section=section.label, title=section.title, pages=section.pages,
                            quote=section.text.split("\n")[0])
        q = np.asarray(self.embedder.get_query_embedding(claim), dtype=np.float32)
        best = sents[int(np.argmax(vecs @ q))]
        return Citation(section=section.label, title=section.title, pages=sentence_pages(section, best), quote=best)

