"""Answerability judgement: the local model reads a candidate section and says whether it deals
with the question's subject, to rerank the retrieved sections and to refuse when none does.

Retrieval similarity cannot tell a question close to a workshop in wording from one about that
workshop's subject ("recette de cassoulet pour le repas des aînés" is close to the canteen
workshop). The judge's prompt opens like the answer prompt (system prompt, then the section as
source [1]), so the saved prefix state of that section serves it: a judgement evaluates only the
question and one instruction (about 60-90 tokens) and generates one or two tokens.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from llama_index.core.llms import LLM, ChatMessage

from guide_assistant.assistant.generate import (
    GENERATION_LOCK,
    Source,
    fixed_prefix,
    lead_source,
    save_section_states,
    section_messages,
)
from guide_assistant.assistant.prefix_states import PrefixStates
from guide_assistant.assistant.retrieval import SectionHit
from guide_assistant.records import Section

log = logging.getLogger(__name__)

YES = re.compile(r"^\W*(oui|yes)\b", re.I)
VERDICT_TOKENS = 3  # "OUI", "NON", "YES", "NO" are one or two tokens for Qwen2.5


@dataclass(frozen=True)
class Verdict:
    """The judge's reading of one section: `answers` (yes/no), the raw text, and how the
    prompt prefix was obtained ("live", "loaded", "saved" or "" without saved states)."""

    label: str
    answers: bool
    raw: str
    prefix_state: str = ""


class Judge:
    """Yes/no per candidate section, at most `candidates` sections per question, best first,
    stopping at the first yes. `llm` is a local LlamaCPP (its llama.cpp model generates the
    verdict with a 3-token cap, after the section's saved prefix state) or a chat endpoint."""

    def __init__(self, llm: LLM, states: PrefixStates | None, lead_source_chars: int, candidates: int = 2):
        self.llm = llm
        self.states = states
        self.lead_source_chars = lead_source_chars
        self.candidates = candidates

    def messages(self, question: str, language: str, section: Section) -> tuple[list[ChatMessage], list[Source]]:
        """The judgement's chat messages and its one source (the section)."""
        sources = [lead_source(section, self.lead_source_chars)]
        return section_messages("judge_user", language, question, sources), sources

    def prompt(self, question: str, language: str, section: Section) -> tuple[str, str]:
        """(prefix, prompt) of the judgement of `section` for `question`, as the local model
        reads it; the prefix is the answer prompt's ("system + source [1]")."""
        return fixed_prefix(self.llm, *self.messages(question, language, section))

    def judge(self, question: str, language: str, section: Section) -> Verdict:
        """Does `section` deal with the question's subject? One short generation."""
        model = getattr(self.llm, "_model", None)  # LlamaCPP keeps its llama_cpp.Llama private
        with GENERATION_LOCK:
            if model is None:  # an endpoint: a chat call (it keeps its own prompt cache)
                raw, how = self.llm.chat(self.messages(question, language, section)[0]).message.content or "", ""
            else:
                prefix, prompt = self.prompt(question, language, section)
                how = self.states.prime(prefix, prompt) if self.states else ""
                raw = model.create_completion(prompt, max_tokens=VERDICT_TOKENS, temperature=0.0)["choices"][0]["text"]
        verdict = Verdict(section.label, bool(YES.match(raw)), raw.strip(), how)
        log.info("judge %s: %s (%s)", section.label, verdict.raw, how)
        return verdict

    def rerank(self, question: str, language: str, hits: list[SectionHit],
               sections: dict[str, Section]) -> tuple[list[SectionHit], list[Verdict]]:
        """The hits with the first section judged to answer moved to the front, and the verdicts;
        ([], verdicts) when none of the first `candidates` sections answers."""
        verdicts = []
        for k, hit in enumerate(hits[: self.candidates]):
            verdict = self.judge(question, language, sections[hit.label])
            verdicts.append(verdict)
            if verdict.answers:
                return [hit] + hits[:k] + hits[k + 1:], verdicts
        return [], verdicts

    def warm(self, sections: list[Section], progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Save the prefix state of every section (shared with the generative answers, see
        `save_section_states`); nothing to do without states."""
        return save_section_states(self.llm, self.states, sections, self.lead_source_chars, progress)
