"""The assistant: question (+ history) → Answer. One instance per process, shared by sessions.

Steps: check the question → detect its language → build the retrieval query (follow-ups
carry the previous turn) → hybrid retrieval → refuse or answer → citations.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict

from tqdm import tqdm

from guide_assistant.assistant.answer import Answerer, ExtractiveAnswerer, Reply, SourceRefusal, contact_card
from guide_assistant.assistant.conversation import REFERS_BACK, Thread, ThreadReader, bounded
from guide_assistant.assistant.generate import GenerativeAnswerer
from guide_assistant.assistant.judge import Judge
from guide_assistant.assistant.language import detect_language
from guide_assistant.assistant.record_answer import render_records
from guide_assistant.assistant.records_query import RecordFilter, RecordQuery, split_questions
from guide_assistant.assistant.retrieval import (HybridRetriever, SectionHit, group_sections, mark_named,
                                                 named_labels, topic_sections)
from guide_assistant.assistant.scope import Limits, ScopeReader, edition
from guide_assistant.config import LlmSettings, Settings
from guide_assistant.errors import QuestionError
from guide_assistant.instructions import OVERRIDE
from guide_assistant.index.store import LoadedIndex, open_index
from guide_assistant.records import Answer, Section, Turn

log = logging.getLogger(__name__)

CONJUNCTION = re.compile(r"\s(?:et|and)\s(?=(?:l[ae']|les|the|des|du|de la|pour|for)\b)", re.I)
PERSONAL_DATA = re.compile(
    r"adresse (personnelle|priv[ée]e|perso|du domicile)|num[ée]ro (personnel|priv[ée]|perso)|"
    r"portable (de|d')|t[ée]l[ée]phone (personnel|priv[ée]|portable)|date de naissance|"
    r"num[ée]ros? de (portable|mobile)|\b(son|sa|leur) (portable|mobile)\b|"
    r"home address|private (phone|number|address|e-?mail)|personal (phone|number|address|e-?mail|mobile)|"
    r"mobile number|cell ?phone|date of birth|where does .{1,40} live|o[uù] habite",
    re.I,
)


def make_answerer(index: LoadedIndex, settings: Settings, judge: Judge | None = None) -> Answerer:
    """The answer step of `settings.answer.mode`; figures are dated with the guide's edition. The
    judge, when given, also checks the generated sentences against their cited sections."""
    guide_edition = edition(list(index.sections.values()))
    if settings.answer.mode == "llm":
        from guide_assistant.assistant.llm import get_llm, prefix_states

        llm = settings.llm
        model = get_llm(llm)
        return GenerativeAnswerer(model, index.embedder, index.sentences, max_sources=llm.max_sources,
                                  source_chars=llm.source_chars, lead_source_chars=llm.lead_source_chars,
                                  history_turns=llm.history_turns, states=prefix_states(model, llm),
                                  translate=index.word_map.translate, judge=judge,
                                  support_threshold=settings.answer.support_threshold,
                                  edition=guide_edition)
    return ExtractiveAnswerer(index.embedder, index.sentences, settings.answer.max_quotes, guide_edition,
                              index.word_map.translate)


def ranked(hits: list[SectionHit]) -> list[tuple[str, float, float, float]]:
    """The debug ranking: [label, fused score, cosine, BM25] per section, best first."""
    return [(h.label, round(h.score, 4), round(h.dense, 4), round(h.lexical, 2)) for h in hits]


def local_model_installed(llm: LlmSettings) -> bool:
    """The local backend is chosen and its runtime and model packages are installed."""
    if llm.backend != "local" or importlib.util.find_spec("llama_cpp") is None:
        return False
    from guide_assistant.assistant.model_parts import ModelProvisionError, find_installed_parts, get_model

    try:
        find_installed_parts(get_model(llm.model))
    except ModelProvisionError as exc:
        log.info("Answerability judge off: %s", exc)
        return False
    return True


def make_judge(settings: Settings) -> Judge | None:
    """The answerability judge on the local model of `settings.llm`: when `settings.answer.judge`
    is "on", or "auto" and that model's packages are installed; else None. Raises the model's
    provisioning errors when it is "on" and cannot load, JudgeUnavailable for an endpoint."""
    from guide_assistant.assistant.llm import get_llm, prefix_states

    llm = settings.llm
    if settings.answer.judge == "off" or (settings.answer.judge == "auto" and not local_model_installed(llm)):
        return None
    model = get_llm(llm)
    a = settings.answer
    return Judge(model, prefix_states(model, llm), llm.lead_source_chars, a.judge_candidates,
                 {"fr": a.judge_threshold_fr, "en": a.judge_threshold_en}, a.judge_unsure_below)


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
        self.judge = make_judge(settings)
        self.answerer = answerer or make_answerer(index, settings, self.judge)
        sections = list(index.sections.values())
        self.scope = ScopeReader(sections)
        self.threads = ThreadReader(self.retriever.lexical, set(index.sections))
        self.records = RecordFilter(sections, self.retriever.lexical)

    @classmethod
    def from_settings(cls, settings: Settings, show_progress: bool = True) -> "Assistant":
        """Open (or build, on first run) the index and make the assistant in the configured
        answer mode (mode "llm", and the judge, load the language model once per process)."""
        index = open_index(settings, show_progress=show_progress)
        return cls(index, settings)

    def warm(self, show_progress: bool = False,
             progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """With a local model (generative mode or the judge): save the prompt-prefix state of
        every section, so that later questions evaluate only their own tokens; minutes on the
        first run, about a second once saved. Otherwise nothing to do. `progress(done, total)` is
        called after each section. Returns the counts of states already present and saved."""
        sections = list(self.index.sections.values())
        bars: list[tqdm] = []  # opened at the first section saved: nothing shows when nothing keeps states

        def step(done: int, total: int) -> None:
            if not bars:
                bars.append(tqdm(total=total, desc="Prefix states", unit="section", disable=not show_progress))
            bars[0].update(1)
            if progress:
                progress(done, total)
        try:  # the judge shares the generative answerer's states: saved once, by whichever keeps them
            return self.answerer.warm(sections, progress=step) or (self.judge.warm(sections, progress=step)
                                                                   if self.judge else {})
        finally:
            for bar in bars:
                bar.close()

    def thread(self, question: str, history: list[Turn], language: str) -> Thread:
        """How the question is read in its conversation (see ThreadReader). Generative mode: a
        follow-up is rewritten by the model into a standalone question; the guide's spelt-out
        words for the question's acronyms ("VIF" → "violences intra familiales") are added."""
        thread = self.threads.read(question, history, language)
        query = thread.query
        if thread.followup:
            query = self.answerer.condense(question, history, language) or query
        expansions = self.scope.acronym_expansions(question)
        return Thread(" ".join([query] + expansions), thread.prior, thread.followup, thread.answered)

    def is_confident(self, hits: list[SectionHit], query: str, english: bool) -> bool:
        """Answer when the question names a section, or when the best retrieved cosine reaches the
        language's threshold and some word of the question is in the guide (BM25 > 0).

        The thresholds were chosen on the project's dev questions (see RetrievalSettings); the
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
        return max(h.dense for h in hits) >= threshold and guide_words

    @staticmethod
    def continues(thread: Thread, hits: list[SectionHit]) -> bool:
        """A follow-up whose thread's section is still among the two best: the conversation set
        its topic, so the cosine of its few own words does not decide the refusal ("OK, so how
        much does the State put into one?" after a question on the points conseil budget)."""
        return thread.followup and any(h.label in thread.prior for h in hits[:2])

    def conjunct_sections(self, question: str, language: str) -> list[str]:
        """The best section of each side of a question joining two subjects by "et"/"and"
        ("Who presents the youth housing workshop and the AIVS workshop?"), when the sides
        retrieve different sections; else []."""
        sides = [x.strip() for x in CONJUNCTION.split(question, maxsplit=1)]
        if len(sides) != 2 or min(len(x.split()) for x in sides) < 2:
            return []
        tops = [group_sections(self.retriever.retrieve(x, english=language == "en"))[:1] for x in sides]
        labels = [t[0].label for t in tops if t]
        return labels if len(set(labels)) == 2 else []

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        """The checked answer to `question` (see `ask_stream`)."""
        return next(e for e in self.ask_stream(question, history) if isinstance(e, Answer))

    def ask_stream(self, question: str, history: list[Turn] | None = None) -> Iterator[str | Answer]:
        """Yield the generated draft as it comes (text pieces, generative mode only, unchecked),
        then the checked Answer. Several questions in one message (an answerer that splits_parts) get one
        answer each, joined. The history is read from its last `answer.max_history_turns` turns,
        each cut to `answer.max_history_turn_chars` characters. Raises QuestionError for an empty
        or too long question."""
        t0 = time.perf_counter()
        a = self.settings.answer
        history = bounded(history or [], a.max_history_turns, a.max_history_turn_chars)
        q = check_question(question, a.max_question_chars)
        language = detect_language(q)
        for reason, applies in (("language", language == "other"), ("personal", PERSONAL_DATA.search(q)),
                                ("instructions", OVERRIDE.search(q))):
            if applies:
                yield self._refusal(q, "fr" if language == "other" else language, [], t0, reason=reason)
                return
        parts = split_questions(q) if self.answerer.splits_parts else [q]
        if len(parts) > 1:
            answers = self._answer_parts(q, parts, language, history, t0)
            yield join_answers(q, language, parts, answers, time.perf_counter() - t0)
            return
        yield from self._answer_stream(q, language, history, t0)

    def _answer_parts(self, q: str, parts: list[str], language: str, history: list[Turn],
                      t0: float) -> list[Answer]:
        """One Answer per part of a message. Separate questions (see `separate`) are each read
        with the earlier conversation only, so that one part's section never answers another ("the
        ASP phone for the canteen aid, and what number do I call if my video link fails?");
        otherwise a part is read after the whole message and the earlier parts, as a conversation
        ("When do registrations open, and what is the link?" keeps its subject)."""
        separate = self.separate(q, parts, language)
        answers, context = [], list(history) + [Turn(role="user", content=q)]
        whole = self.threads.read(q, history, language)  # a follow-up message is judged with its thread
        judged = whole.query if whole.followup else q
        for k, part in enumerate(parts):
            # parts read as one conversation are judged on the whole message: once per section
            # for all of them (see Judge.judge), instead of on each part after the whole message;
            # and the limits of the earlier parts hold for a later one ("Combien de PAEJ dans le
            # Cantal, et qui contacter là-bas ?"), not those of a later part for an earlier one
            stream = (self._answer_stream(part, language, history, t0) if separate else
                      self._answer_stream(part, language, context, t0, judged=judged, limited=" ".join(parts[:k + 1])))
            answers.append(next(e for e in stream if isinstance(e, Answer)))
            context += [Turn(role="user", content=part), Turn(role="assistant", content=answers[-1].answer)]
        return answers

    def separate(self, q: str, parts: list[str], language: str) -> bool:
        """The parts of a message are separate questions when each, read alone, retrieves first a
        different section and those are the sections the whole message retrieves first (one per
        part), and no later part refers back ("qui contacter là-bas ?", "who funds it?"). A part
        that only makes sense with the others ("what is its number?", "who foots the bill")
        retrieves alone a section the message is not about, or another part's."""
        if any(REFERS_BACK.search(p) for p in parts[1:]):
            return False
        english = language == "en"
        whole = [h.label for h in group_sections(self.retriever.retrieve(q, english=english))[:len(parts)]]
        alone = [next((h.label for h in group_sections(self.retriever.retrieve(p, english=english))), None)
                 for p in parts]
        return len(set(alone)) == len(parts) and set(alone) == set(whole)

    def _answer_stream(self, q: str, language: str, history: list[Turn], t0: float,
                       judged: str | None = None, limited: str | None = None) -> Iterator[str | Answer]:
        """One question: thread, limits, retrieval, refusal or answer (see `ask_stream`). The
        judge reads `judged` (default: the question, or its thread's query on a follow-up); the
        limits are read from `limited` (default: the question). A list or a count over the guide
        ("tous les numéros de téléphone du guide") is answered from the section records."""
        query = self.records.query(q, follow_up=bool(history))
        if query is not None:
            yield self._record_answer(q, language, query, limited or q, t0)
            return
        core, excluded = self.records.without_exclusions(q), self.records.excluded(q)
        thread = self.thread(core, history, language)
        limits = self.scope.read(limited or q, language)
        hits = group_sections(self.retriever.retrieve(thread.query, english=language == "en",
                                                      prior_sections=thread.prior, excluded=excluded))
        hits = self.records.narrow(q, hits, excluded, english=language == "en")
        named = topic_sections(hits, self.retriever.lexical.naming_terms(q, language == "en"))
        if len(named) < 2:  # else each side of "X et Y" may name its own section
            named = set(self.conjunct_sections(q, language))
        hits = mark_named(hits, named)
        debug = {"query": thread.query, "prior": thread.prior, "followup": thread.followup,
                 "limits": asdict(limits),
                 "sections": ranked(hits)}
        unknown = [n for n in limits.unnamed if n.isupper()]
        if unknown or not (self.continues(thread, hits) or self.is_confident(hits, thread.query, language == "en")):
            reason = "unnamed" if unknown else "scope"
            yield self._refusal(q, language, hits, t0, reason=reason, debug=debug, names=unknown)
            return
        if self.judge and not named_labels(thread.query, set(self.index.sections)):
            reranked, verdicts = self.judge.rerank(judged or (thread.query if thread.followup else core), language,
                                                   hits, self.index.sections, kept=thread.answered)
            debug["judge"] = [(v.label, v.answers, round(v.score, 4), v.prefix_state) for v in verdicts]
            if not reranked:
                yield self._refusal(q, language, hits, t0, reason="sources", debug=debug)
                return
            hits = reranked
            debug["sections"] = ranked(hits)  # the eval scores the ranking the answer used
        if limits.unnamed and self.index.sections[hits[0].label].role != "programme":
            # a scheme the guide never names, nearest to the prefect's word or the practical pages:
            # their quotes and the conference's hotline would pass for an answer; say so instead
            yield self._refusal(q, language, hits, t0, reason="unnamed", debug=debug, names=limits.unnamed)
            return
        sections = {k: v for k, v in self.index.sections.items() if k not in excluded}
        try:
            for piece in self.answerer.respond(q, thread.query if thread.followup else q, language, hits, sections,
                                               debug):
                if isinstance(piece, Reply):
                    text, citations = piece.text, piece.citations
                else:
                    yield piece
        except SourceRefusal as exc:
            yield self._refusal(q, language, hits, t0, reason="sources", debug=debug | {"why": str(exc)})
            return
        if limits:
            text = self.with_limits(text, language, limits, self.index.sections[hits[0].label])
        yield Answer(question=q, answer=text, refused=False, language=language, mode=self.answerer.mode,
                     citations=citations, sections=list(dict.fromkeys(c.section for c in citations)),
                     latency_s=time.perf_counter() - t0, debug=debug)

    def _record_answer(self, q: str, language: str, query: RecordQuery, limited: str, t0: float) -> Answer:
        """Every match of a record question, counted and cited (see records_query.RecordFilter),
        framed by what the guide cannot say ("combien d'ateliers en Bretagne ?": none, and the
        guide covers Occitanie) with the commissioner's contact."""
        matches, others = self.records.matches(query), self.records.others(query)
        text, citations = render_records(query, matches, others, language, self.scope.edition)
        limits = self.scope.read(limited, language)
        if limits:
            text = "\n\n".join(x for x in (limit_note(language, limits, self.scope), text,
                                            commissioner_line(language, self.index)) if x)
        labels = list(dict.fromkeys(c.section for c in citations))
        debug = {"query": q, "records": {k: sorted(v) if isinstance(v, frozenset) else v
                                         for k, v in asdict(query).items()},
                 "limits": asdict(limits),  # the listed sections in the guide's order: read, not ranked
                 "sections": [(label, 1.0, 0.0, 0.0) for label in labels]}
        return Answer(question=q, answer=text, refused=False, language=language, mode=self.answerer.mode,
                      citations=citations, sections=labels, latency_s=time.perf_counter() - t0, debug=debug)

    def with_limits(self, text: str, language: str, limits: Limits, section: Section) -> str:
        """The answer framed by what the guide cannot say: the limits first, then what the guide
        said at its date, then who would know today: the section's contacts (in the answer) when
        the question is about that section's own subject, else the commissioner's (without a
        card, or when the question names a scheme the guide never does, which that section's
        contacts do not run)."""
        note = limit_note(language, limits, self.scope)
        own = contact_card(section, language) and not limits.unnamed
        contact = "" if own else commissioner_line(language, self.index)
        today = LIMIT_TEXTS[language]["today"] if not contact else contact
        return "\n\n".join([note, text, today])

    def _refusal(self, question: str, language: str, hits: list[SectionHit], t0: float,
                 reason: str = "scope", debug: dict | None = None, names: list[str] = ()) -> Answer:
        text = refusal_text(language, reason, hits[:2], self.index, names)
        return Answer(question=question, answer=text, refused=True, language=language, mode=self.answerer.mode,
                      citations=[], latency_s=time.perf_counter() - t0, debug=(debug or {}) | {"refusal": reason})


LIMIT_TEXTS = {
    "fr": {
        "later": "Le guide date de la conférence du {date} : il ne dit pas si ces informations sont toujours "
                 "valables aujourd'hui, ni ce qui a changé depuis.",
        "elsewhere": "Le guide porte sur la région {region} : il ne dit pas ce qui s'applique ailleurs ({places}).",
        "unnamed": "Le guide ne mentionne pas {names}.",
        "legal": "Le guide présente des dispositifs et leurs conditions : il ne dit pas comment se règle une "
                 "situation juridique, fiscale ou personnelle ({words}).",
        "said": "Ce que le guide indiquait en {edition} :",
        "today": "Pour une information à jour, adressez-vous aux contacts ci-dessus.",
        "part": "**{n}. {part}**",
        "not_covered": "Ce point n'est pas traité par le guide.",
    },
    "en": {
        "later": "The guide dates from the conference of {date}: it does not say whether this still applies "
                 "today, nor what has changed since.",
        "elsewhere": "The guide covers the {region} region: it does not say what applies elsewhere ({places}).",
        "unnamed": "The guide does not mention {names}.",
        "legal": "The guide presents schemes and their conditions: it does not say how a legal, tax or personal "
                 "case is settled ({words}).",
        "said": "What the guide said in {edition}:",
        "today": "For up-to-date information, ask the contacts above.",
        "part": "**{n}. {part}**",
        "not_covered": "The guide does not cover this part.",
    },
}


def limit_note(language: str, limits: Limits, scope: ScopeReader) -> str:
    """What the guide cannot say about the question, then the date of what follows."""
    texts, ed = LIMIT_TEXTS[language], scope.edition
    lines = []
    if limits.later and ed:
        lines.append(texts["later"].format(date=ed.long(language)))
    if limits.elsewhere and scope.region:
        lines.append(texts["elsewhere"].format(region=scope.region, places=", ".join(limits.elsewhere)))
    if limits.unnamed:
        lines.append(texts["unnamed"].format(names=", ".join(f"« {n} »" for n in limits.unnamed)))
    if limits.legal:
        lines.append(texts["legal"].format(words=", ".join(f"« {w} »" for w in limits.legal)))
    if ed:
        lines.append(texts["said"].format(edition=ed.month_year(language)))
    return " ".join(lines)


def join_answers(question: str, language: str, parts: list[str], answers: list[Answer], latency_s: float) -> Answer:
    """One Answer for a message holding several questions: each part's answer under its own
    heading (a refused part says it is not covered); refused only when every part is."""
    texts, shown = LIMIT_TEXTS[language], set()
    blocks = [texts["part"].format(n=n, part=p) + "\n\n" + _unrepeated(a.answer if not a.refused else
                                                                       texts["not_covered"] + "\n" + a.answer, shown)
              for n, (p, a) in enumerate(zip(parts, answers), start=1)]
    citations = [c for a in answers for c in a.citations]
    return Answer(question=question, answer="\n\n".join(blocks), refused=all(a.refused for a in answers),
                  language=language, mode=answers[0].mode, citations=citations,
                  sections=list(dict.fromkeys(c.section for c in citations)), latency_s=latency_s,
                  debug={"parts": [a.debug for a in answers],
                         "query": " ".join(a.debug.get("query", p) for p, a in zip(parts, answers)),
                         "sections": [s for a in answers for s in a.debug.get("sections", [])[:2]]})


def _unrepeated(text: str, shown: set[str]) -> str:
    """`text` without the lists (a heading line, then "- " items: a section's contact card, its
    speakers) already in `shown`, an earlier part's answer; adds its own lists to `shown`. Two
    parts answered from one workshop print its card once."""
    kept = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        is_list = len(lines) > 1 and all(ln.startswith("- ") for ln in lines[1:])
        if is_list:
            if paragraph in shown:
                continue
            shown.add(paragraph)
        kept.append(paragraph)
    return "\n\n".join(kept)


def commissioner_line(language: str, index: LoadedIndex) -> str:
    """The commissioner's contact from the guide's "Contact" section record (empty without one)."""
    contact = index.sections.get("Contact")
    email = next((c.value for c in contact.contacts if c.kind == "email"), "") if contact else ""
    return REFUSALS[language]["contact"].format(email=email, citation=contact.citation) if email else ""


REFUSALS = {
    "en": {
        "scope": "The guide does not cover this question, so I cannot answer it from the guide.",
        "personal": "I cannot give personal details about anyone: the guide only publishes the speakers' "
                    "names and roles, and official contacts.",
        "language": "I answer in French or English only.",
        "instructions": "I only answer questions about the guide, and my rules cannot be changed by a question.",
        "sources": "The guide's passages closest to your question do not answer it.",
        "unnamed": "The guide does not mention {names}, so I cannot answer this from the guide.",
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
        "unnamed": "Le guide ne mentionne pas {names} : je ne peux pas répondre à partir du guide.",
        "near": "Sections les plus proches du guide : {near}.",
        "contact": "Pour toute autre question, le commissaire à la prévention et à la lutte contre la pauvreté "
                   "est joignable à {email} (guide, {citation}).",
    },
}


def refusal_text(language: str, reason: str, closest: list[SectionHit], index: LoadedIndex,
                 names: list[str] = ()) -> str:
    """Why there is no answer, the closest sections, and the commissioner's contact (from the
    guide's "Contact" section record, never typed here)."""
    near = [index.sections[h.label] for h in closest]
    near_text = "; ".join(s.label + (f" « {s.title} »" if s.title != s.label else "") + f" ({s.page_span()})"
                          for s in near)
    texts = REFUSALS[language]
    lines = [texts[reason].format(names=", ".join(f"« {n} »" for n in names))]
    if near_text:
        lines.append(texts["near"].format(near=near_text))
    lines.append(commissioner_line(language, index))
    return "\n".join(x for x in lines if x)
