"""Conversation state: is a question a follow-up of the previous turns, or a new topic?

A question is read against the thread unless it names a topic of its own (see ThreadReader):
its own words point clearly to another section than the thread's. Its length does not matter:
"Et qui
dois-je contacter ?" and "Très bien, et si je voulais en ouvrir un dans mon bourg, qui dois-je
aller voir en premier ?" both continue the thread; "Et le numéro du Défenseur des droits ?"
names its own topic and starts a new one, so the previous workshop's contact never answers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from guide_assistant.assistant.lexical import LexicalRetriever, tokenize
from guide_assistant.assistant.retrieval import named_labels
from guide_assistant.records import Turn

MAX_THREAD_QUESTIONS = 3  # earlier user questions carried into a follow-up's retrieval query
FOCUS = 1.6  # a new topic's section scores this many times the next one on the question's own words
# Words that refer back to the conversation (French and English pronouns and demonstratives).
REFERS_BACK = re.compile(r"\b(them|they|their|it|its|this|that|these|those|he|she|him|her|ils|elles|eux|leurs?|c'est|c’est|"
                         r"n'en|n’en|y en|"
                         r"celui|celle|ceux|celles|chacun|chacune|each one|each of them|ça|cela|ce dispositif|"
                         r"cette structure|ce programme|là-bas|his)\b", re.I)
NAME = re.compile(r"\b(?:[A-ZÀ-Ý][\w’'-]+|[A-Z]{2,})\b")


@dataclass(frozen=True)
class Thread:
    """How a question is read in its conversation.

    query: the retrieval query (the question, preceded by the thread's earlier questions on a
    follow-up). prior: labels of the thread's sections: those the previous answer named, else the
    previous question's best BM25 section (boosted in retrieval on a follow-up; empty on a new
    topic). followup: read with the conversation. answered: the sections the previous answer named
    (empty when the prior is only the previous question's best BM25 section).
    """

    query: str
    prior: list[str]
    followup: bool
    answered: list[str] = field(default_factory=list)


def bounded(history: list[Turn], max_turns: int, max_chars: int) -> list[Turn]:
    """The last `max_turns` turns of `history`, each cut to its first `max_chars` characters: a
    conversation is read from its recent turns and the first lines of each answer (where the
    section labels are), so a forged or runaway history (100 KB) costs no more than a real one."""
    return [t if len(t.content) <= max_chars else Turn(role=t.role, content=t.content[:max_chars])
            for t in history[-max_turns:]] if max_turns > 0 else []


def last_sections(history: list[Turn], known: set[str]) -> list[str]:
    """Sections the last assistant message drew on: the labels it names, in order."""
    last = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    return named_labels(last, known) or [label for label in known if label in last]


class ThreadReader:
    """Reads a question against its history with the guide's own vocabulary (no model).

    A question starts a new topic when it names a section the thread is not about, or when its
    own words point clearly to one section outside the thread: the section its words' BM25
    ranks first, found through a topic word of the question, scoring FOCUS times the next
    section. A question that refers back by a pronoun ("them", "ils", "cela") needs a name for
    that (a capitalised word or an acronym). Otherwise it continues the thread, whatever its
    length, and retrieval reads it with the thread's earlier questions.
    """

    def __init__(self, lexical: LexicalRetriever, known: set[str]):
        self.lexical = lexical
        self.known = known

    def new_topic(self, question: str, thread: set[str], language: str = "fr") -> bool:
        """True when `question` names its own topic outside the `thread` sections. In English, the
        only words shared with the French guide that name a topic are names (acronyms, proper
        nouns): "long" or "date" in an English sentence is no French topic word."""
        if set(named_labels(question, self.known)) - thread:
            return True
        names = {tokenize(w)[0] for w in NAME.findall(question) if tokenize(w)}
        topics = self.lexical.topical_terms(question)
        if language == "en":
            topics = {t: labels for t, labels in topics.items() if t in names}
        ranked = self.lexical.section_scores(question)
        if not topics or not ranked or ranked[0][0] in thread:
            return False
        top, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        pointed = {t for t, labels in topics.items() if top in labels}
        if not pointed or score < FOCUS * runner_up:
            return False
        if REFERS_BACK.search(question):
            return bool(pointed & names)
        return True

    def read(self, question: str, history: list[Turn], language: str = "fr") -> Thread:
        """The question's Thread: a new topic (see `new_topic`), else a follow-up whose query
        carries the thread's questions back to the one that opened its topic."""
        users = [t.content for t in history if t.role == "user"]
        if not users:
            return Thread(question, [], False)
        asked = []
        for text in reversed(users[-MAX_THREAD_QUESTIONS:]):
            asked.insert(0, text)
            if self.lexical.topical_terms(text):  # the question that opened the topic
                break
        prior = last_sections(history, self.known)
        # without a section named in the last answer, the thread is about the best section for
        # its questions back to the one that opened the topic
        thread = set(prior) or {label for label, _ in self.lexical.section_scores(" ".join(asked),
                                                                                   language == "en")[:1]}
        if self.new_topic(question, thread, language):
            return Thread(question, [], False)
        return Thread(" ".join(asked + [question]), prior or sorted(thread), True, prior)
