"""The assistant: question (+ history) → Answer. One instance per process, shared by sessions.

Steps: check the question → detect its language → build the retrieval query (follow-ups
carry the previous turn) → hybrid retrieval → refuse or answer → citations.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator

from tqdm import tqdm

from guide_assistant.assistant.answer import Answerer, ExtractiveAnswerer, pages_text
from guide_assistant.assistant.generate import GenerativeAnswerer, SourceRefusal
from guide_assistant.assistant.language import detect_language
from guide_assistant.assistant.retrieval import HybridRetriever, SectionHit, group_sections, named_labels
from guide_assistant.config import Settings
from guide_assistant.errors import QuestionError
from guide_assistant.index.store import LoadedIndex, open_index
from guide_assistant.records import Answer, Turn

log = logging.getLogger(__name__)

INSTRUCTIONS = re.compile(
    r"ignore[sz]? (all |your |tes |vos |les |previous |prior )*(instructions|consignes|r[èe]gles|rules)|"
    r"oublie[sz]? (le guide|tes|vos)|system prompt|prompt syst[èe]me|system override|"
    r"do what it says|fais ce qu'il dit|you are now|tu es maintenant|jailbreak",
    re.I,
)
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_ROMAN = re.compile(r"^[IVX]+$")
# Everyday acronyms for topics the guide covers in other words (social housing, homelessness):
# not a sign of an off-topic question (eval/dev_questions.jsonl d003 "cité HLM").
GENERIC_ACRONYMS = {"HLM", "SDF"}
FOLLOWUP_WORDS = 9  # a question this short, after a first turn, is read with the previous one
PERSONAL_DATA = re.compile(
    r"adresse (personnelle|priv[ée]e|perso|du domicile)|domicile|num[ée]ro (personnel|priv[ée]|perso)|"
    r"portable (de|d')|t[ée]l[ée]phone (personnel|priv[ée]|portable)|date de naissance|"
    r"num[ée]ros? de (portable|mobile)|\b(son|sa|leur) (portable|mobile)\b|"
    r"home address|private (phone|number|address|e-?mail)|personal (phone|number|address|e-?mail|mobile)|"
    r"mobile number|cell ?phone|date of birth|where does .{1,40} live|o[uù] habite",
    re.I,
)


def make_answerer(index: LoadedIndex, settings: Settings) -> Answerer:
    """The answer step of `settings.answer.mode`."""
    if settings.answer.mode == "llm":
        from guide_assistant.assistant.llm import get_llm, prefix_states

        llm = settings.llm
        model = get_llm(llm)
        return GenerativeAnswerer(model, index.embedder, index.sentences, max_sources=llm.max_sources,
                                  source_chars=llm.source_chars, lead_source_chars=llm.lead_source_chars,
                                  history_turns=llm.history_turns, states=prefix_states(model, llm))
    return ExtractiveAnswerer(index.embedder, index.sentences, settings.answer.max_quotes)


def check_question(question: str, max_chars: int) -> str:
    """The question stripped; raises QuestionError when empty or longer than `max_chars`."""
    q = (question or "").strip()
    if not q:
        raise QuestionError("The question is empty: type a question about the guide. / "
                            "La question est vide : posez une question sur le guide.")
    if len(q) > max_chars:
        raise QuestionError(f"The question has {len(q)} characters; keep it under {max_chars}. / "
                            f"La question fait {len(q)} caractères ; limitez-la à {max_chars}.")
    return q


class Assistant:
    """Answers questions on the indexed guide.

    `ask()` never raises for a question it can read: an out-of-scope question gets a refusal
    Answer. Raises QuestionError for an empty or too long question.
    """

    def __init__(self, index: LoadedIndex, settings: Settings, answerer: Answerer | None = None):
        self.index = index
        self.settings = settings
        self.retriever = HybridRetriever(index, settings.retrieval)
        self.answerer = answerer or make_answerer(index, settings)
        self.index_text = "\n".join(s.text for s in index.sections.values())

    @classmethod
    def from_settings(cls, settings: Settings, show_progress: bool = True) -> "Assistant":
        """Open (or build, on first run) the index and make the assistant in the configured
        answer mode (mode "llm" loads the language model once per process)."""
        index = open_index(settings, show_progress=show_progress)
        return cls(index, settings, make_answerer(index, settings))

    def warm(self, show_progress: bool = False,
             progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Generative mode with a local model: save the prompt-prefix state of every section, so
        that later questions evaluate only their own tokens (see GenerativeAnswerer.warm);
        minutes on the first run, about a second once saved. Other modes: nothing to do.
        `progress(done, total)` is called after each section. Returns the counts of states
        already present and saved."""
        if not isinstance(self.answerer, GenerativeAnswerer):
            return {}
        sections = list(self.index.sections.values())
        with tqdm(total=len(sections), desc="Prefix states", unit="section", disable=not show_progress) as bar:
            def step(done: int, total: int) -> None:
                bar.update(1)
                if progress:
                    progress(done, total)
            return self.answerer.warm(sections, progress=step)

    def prior_sections(self, history: list[Turn]) -> list[str]:
        """Sections of the previous turn: those named in the last assistant message."""
        last = next((t.content for t in reversed(history) if t.role == "assistant"), "")
        return named_labels(last, set(self.index.sections)) or [
            label for label in self.index.sections if label in last
        ]

    def retrieval_query(self, question: str, history: list[Turn], language: str = "fr") -> str:
        """The question as retrieval should read it. Generative mode: rewritten by the model into
        a standalone question using the conversation. Extractive mode: prefixed by the previous
        user question when it is short enough to be a follow-up."""
        if history and isinstance(self.answerer, GenerativeAnswerer):
            return self.answerer.condense(question, history, language)
        last_user = next((t.content for t in reversed(history) if t.role == "user"), "")
        if last_user and len(question.split()) <= FOLLOWUP_WORDS:
            return f"{last_user} {question}"
        return question

    def unknown_acronyms(self, question: str) -> list[str]:
        """Acronyms of the question (RSA, FEDER…) that the guide never uses: a sign of a topic
        the guide does not cover."""
        return [a for a in _ACRONYM.findall(question)
                if not _ROMAN.match(a) and a not in GENERIC_ACRONYMS and a.lower() not in self.retriever.lexical.vocab
                and a not in self.index_text]

    def is_confident(self, hits: list[SectionHit], query: str, english: bool) -> bool:
        """Answer when the question names a section, or when the best retrieved cosine reaches the
        language's threshold, some word of the question is in the guide (BM25 > 0), and the
        question uses no acronym the guide never mentions.

        The thresholds were chosen on the project's questions (see RetrievalSettings); the
        bundled embedder's cosines of in- and out-of-scope questions overlap, so they are set
        for no false refusal, and refusal recall is limited (reported by `guide-assistant eval`).
        """
        if not hits:
            return False
        if named_labels(query, set(self.index.sections)):
            return True
        r = self.settings.retrieval
        threshold = r.refusal_threshold_en if english else r.refusal_threshold_fr
        if threshold is None:
            threshold = self.index.embedder.refusal_thresholds["en" if english else "fr"]
        guide_words = any(h.lexical > 0 for h in hits)  # no word of the question is in the guide: refuse
        best = max(h.dense for h in hits)
        return best >= threshold and guide_words and not self.unknown_acronyms(query)

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        """The checked answer to `question` (see `ask_stream`)."""
        return next(e for e in self.ask_stream(question, history) if isinstance(e, Answer))

    def ask_stream(self, question: str, history: list[Turn] | None = None) -> Iterator[str | Answer]:
        """Yield the generated draft as it comes (text pieces, generative mode only, unchecked),
        then the checked Answer. Raises QuestionError for an empty or too long question."""
        t0 = time.perf_counter()
        history = history or []
        q = check_question(question, self.settings.answer.max_question_chars)
        language = detect_language(q)
        for reason, applies in (("language", language == "other"), ("personal", PERSONAL_DATA.search(q)),
                                ("instructions", INSTRUCTIONS.search(q))):
            if applies:
                yield self._refusal(q, "fr" if language == "other" else language, [], t0, reason=reason)
                return
        query = self.retrieval_query(q, history, language)
        prior = self.prior_sections(history) if history else []
        hits = group_sections(self.retriever.retrieve(query, english=language == "en", prior_sections=prior))
        debug = {"query": query, "sections": [(h.label, round(h.score, 4), round(h.dense, 4), round(h.lexical, 2))
                                              for h in hits]}
        if not self.is_confident(hits, query, language == "en"):
            yield self._refusal(q, language, hits, t0, debug=debug)
            return
        if isinstance(self.answerer, GenerativeAnswerer):
            draft = self.answerer.prepare(query if history else q, language, hits, self.index.sections)
            yield from self.answerer.stream(draft)
            debug["generated"] = draft.raw
            debug["prefix_state"] = draft.prefix_state
            try:
                text, citations = self.answerer.finish(draft, self.index.sections)
            except SourceRefusal as exc:
                yield self._refusal(q, language, hits, t0, reason="sources", debug=debug | {"why": str(exc)})
                return
        else:
            text, citations = self.answerer.answer(q, language, hits, self.index.sections)
        yield Answer(question=q, answer=text, refused=False, language=language, mode=self.answerer.mode,
                     citations=citations, sections=list(dict.fromkeys(c.section for c in citations)),
                     latency_s=time.perf_counter() - t0, debug=debug)

    def _refusal(self, question: str, language: str, hits: list[SectionHit], t0: float,
                 reason: str = "scope", debug: dict | None = None) -> Answer:
        text = refusal_text(language, reason, hits[:2], self.index)
        return Answer(question=question, answer=text, refused=True, language=language, mode=self.answerer.mode,
                      citations=[], latency_s=time.perf_counter() - t0, debug=(debug or {}) | {"refusal": reason})


REFUSALS = {
    "en": {
        "scope": "The guide does not cover this question, so I cannot answer it from the guide.",
        "personal": "I cannot give personal details about anyone: the guide only publishes the speakers' "
                    "names and roles, and official contacts.",
        "language": "I answer in French or English only.",
        "instructions": "I only answer questions about the guide, and my rules cannot be changed by a question.",
        "sources": "The guide's passages closest to your question do not answer it.",
        "near": "Closest sections of the guide: {near}.",
        "contact": "For other questions, the commissioner for poverty prevention can be reached at {email} "
                   "(guide, {citation}).",
    },
    "fr": {
        "scope": "Le guide ne traite pas de cette question : je ne peux pas y répondre à partir du guide.",
        "personal": "Je ne peux pas communiquer de données personnelles : le guide ne publie que les noms et "
                    "fonctions des intervenants, et des contacts institutionnels.",
        "language": "Je réponds uniquement en français ou en anglais. / I answer in French or English only.",
        "instructions": "Je réponds uniquement aux questions sur le guide ; une question ne peut pas modifier "
                        "mes règles.",
        "sources": "Les passages du guide les plus proches de votre question n'y répondent pas.",
        "near": "Sections les plus proches du guide : {near}.",
        "contact": "Pour toute autre question, le commissaire à la prévention et à la lutte contre la pauvreté "
                   "est joignable à {email} (guide, {citation}).",
    },
}


def refusal_text(language: str, reason: str, closest: list[SectionHit], index: LoadedIndex) -> str:
    """Why there is no answer, the closest sections, and the commissioner's contact (from the
    guide's "Contact" section record, never typed here)."""
    contact = index.sections.get("Contact")
    email = next((c.value for c in contact.contacts if c.kind == "email"), "") if contact else ""
    near = [index.sections[h.label] for h in closest]
    near_text = "; ".join(s.label + (f" « {s.title} »" if s.title != s.label else "") + f" ({pages_text(s.pages)})"
                          for s in near)
    texts = REFUSALS[language]
    lines = [texts[reason]]
    if near_text:
        lines.append(texts["near"].format(near=near_text))
    if email:
        lines.append(texts["contact"].format(email=email, citation=contact.citation))
    return "\n".join(lines)
