"""Conversation state: is a question a follow-up of the previous turns, or a new topic?

A question is read against the thread when it names no topic of its own: none of its words
names a topic of the guide (a word found in at most a couple of sections, see
`LexicalRetriever.topical_terms`) other than the thread's. Its length does not matter: "Et qui
dois-je contacter ?" and "Très bien, et si je voulais en ouvrir un dans mon bourg, qui dois-je
aller voir en premier ?" both continue the thread; "Et le numéro du Défenseur des droits ?"
names its own topic and starts a new one, so the previous workshop's contact never answers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from guide_assistant.assistant.lexical import LexicalRetriever
from guide_assistant.assistant.retrieval import named_labels
from guide_assistant.records import Turn

MAX_THREAD_QUESTIONS = 3  # earlier user questions carried into a follow-up's retrieval query


@dataclass(frozen=True)
class Thread:
    """How a question is read in its conversation.

    query: the retrieval query (the question, preceded by the thread's earlier questions on a
    follow-up). prior: labels of the sections the previous answer drew on (boosted in
    retrieval on a follow-up; empty on a new topic). followup: read with the conversation.
    """

    query: str
    prior: list[str]
    followup: bool


def last_sections(history: list[Turn], known: set[str]) -> list[str]:
    """Sections the last assistant message drew on: the labels it names, in order."""
    last = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    return named_labels(last, known) or [label for label in known if label in last]


class ThreadReader:
    """Reads a question against its history with the guide's own vocabulary (no model)."""

    def __init__(self, lexical: LexicalRetriever, known: set[str]):
        self.lexical = lexical
        self.known = known

    def names_topic(self, text: str, english: bool) -> set[str]:
        """Sections that the topic words of `text` (or a label it names) point to; empty when
        `text` names no topic of its own. Only the question's own words count: an English word's
        glossary translations ("call" → "numéro") would turn generic words into topics."""
        found = {label for labels in self.lexical.topical_terms(text).values() for label in labels}
        return found | set(named_labels(text, self.known))

    def read(self, question: str, history: list[Turn], english: bool) -> Thread:
        """The question's Thread. A new topic when the question names a topic that none of the
        previous answer's sections shares; otherwise a follow-up, whatever its length."""
        users = [t.content for t in history if t.role == "user"]
        if not users:
            return Thread(question, [], False)
        prior = last_sections(history, self.known)
        own = self.names_topic(question, english)
        if own and own.isdisjoint(set(prior) or self.names_topic(" ".join(users), english)):
            return Thread(question, [], False)
        thread = []
        for text in reversed(users[-MAX_THREAD_QUESTIONS:]):
            thread.insert(0, text)
            if self.names_topic(text, english):  # the question that opened the topic
                break
        return Thread(" ".join(thread + [question]), prior, True)
