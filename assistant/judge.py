"""Answerability judgement: how much a candidate section makes the question likely, read from the
local model, to rerank the retrieved sections and to refuse when none bears on the question.

Retrieval similarity cannot tell a question close to a workshop in wording from one about that
workshop's subject ("recette de cassoulet pour le repas des aînés" is close to the canteen
workshop). The judge reads the question as the model would continue the answer prompt: the
log-probability of the question's tokens after "system prompt + section as source [1]", minus
their log-probability after the same prompt with no source (pointwise mutual information, in
nats per token; the query-likelihood reranking of Sachan et al. 2022, "Improving Passage
Retrieval with Zero-Shot Question Generation"). A section that deals with the question's subject
makes its words likelier; one about another subject does not.

Why not a yes/no verdict: asked "does source [1] deal with this question? OUI/NON", the bundled
1.5B model answered NON to nearly every French prompt and YES to nearly every English one
(README, "Answerability judge"); the likelihood needs no instruction following.

The prompt up to source [1] is the answer prompt's, so the saved prefix state of that section
serves it: a judgement evaluates only the question's tokens (about 20-60) with their logits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from llama_index.core.llms import LLM, ChatMessage

from guide_assistant.assistant.generate import (
    GENERATION_LOCK,
    Source,
    fixed_prefix,
    lead_source,
    save_section_states,
    section_messages,
)
from guide_assistant.assistant.prefix_states import PrefixStates, common_prefix
from guide_assistant.assistant.retrieval import SectionHit
from guide_assistant.errors import GuideAssistantError
from guide_assistant.records import Section

log = logging.getLogger(__name__)

MAX_SCORED_TOKENS = 200  # a longer question is judged on its first 200 tokens


class JudgeUnavailable(GuideAssistantError):
    """The judge needs a local llama.cpp model (token log-probabilities); an endpoint has none."""


@dataclass(frozen=True)
class Verdict:
    """The judge's reading of one section: `score`, the question's pointwise mutual information
    with the section (nats per question token: > 0 when the section makes the question likelier),
    `answers` (score ≥ the language's threshold), and how the prompt prefix was obtained ("live",
    "loaded", "saved" or "" without saved states)."""

    label: str
    score: float
    answers: bool
    prefix_state: str = ""


def log_softmax_at(logits: np.ndarray, tokens: list[int]) -> np.ndarray:
    """(len(tokens),) float64: log-probability of tokens[i] under the i-th row of `logits`
    ((len(tokens), n_vocab) float32)."""
    rows = logits.astype(np.float64)
    top = rows.max(axis=1, keepdims=True)
    norm = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
    return rows[np.arange(len(tokens)), tokens] - norm


def continuation_logprob(llama, context: list[int], scored: list[int]) -> float:
    """Mean log-probability (nats per token) of `scored` (its first MAX_SCORED_TOKENS) following
    `context`; 0.0 when either is empty. See `continuation_logprobs`."""
    scored = scored[:MAX_SCORED_TOKENS]
    return float(continuation_logprobs(llama, context, scored).mean()) if context and scored else 0.0


def continuation_logprobs(llama, context: list[int], scored: list[int]) -> np.ndarray:
    """(len(scored),) float64: the log-probability (nats) of each token of `scored` following
    `context` and the scored tokens before it, by a `llama_cpp.Llama` whose context may already
    hold a prefix of `context` (a primed state). `context` and `scored` must not be empty, and
    together fit the model's context window.

    Why our own decode: llama-cpp-python keeps per-token logits only with `logits_all=True`
    for the whole model (a 2.5 GB buffer, and prefix-state files that carry every prompt token's
    logits); here one batch asks for the logits of the scored tokens only.
    """
    live = common_prefix(llama.input_ids[: llama.n_tokens].tolist(), context)
    llama.n_tokens = min(live, len(context) - 1)
    if len(context) - llama.n_tokens + len(scored) - 1 > llama.n_batch:  # a long tail first (no logits)
        llama.eval(context[llama.n_tokens:-1])
    batch = context[llama.n_tokens:] + scored[:-1]  # the context's tail, then the scored tokens
    n_past, first = llama.n_tokens, len(batch) - len(scored)  # row first + i's logits predict scored[i]
    llama._ctx.kv_cache_seq_rm(-1, n_past, -1)
    llama._batch.set_batch(batch=batch, n_past=n_past, logits_all=False)
    for i in range(first, len(batch)):
        llama._batch.batch.logits[i] = True
    llama._ctx.decode(llama._batch)
    logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(len(scored), llama.n_vocab()))
    llama.input_ids[n_past: n_past + len(batch)] = batch
    llama.n_tokens = n_past + len(batch)
    return log_softmax_at(logits, scored)


class Judge:
    """Scores at most `candidates` retrieved sections per question (best first) by the question's
    pointwise mutual information with each; reranks them by that score and refuses when none
    reaches `thresholds[language]`. (Reranked by the score alone: on eval/dev_questions.jsonl,
    section hit@1 0.891 in retrieval order, 0.934 by the score, 0.927 with 0.05 nats/token taken
    off per place of retrieval rank.)

    `llm` is a local LlamaCPP (its `llama_cpp.Llama` scores the tokens, after the section's saved
    prefix state). Raises JudgeUnavailable for an endpoint.
    """

    def __init__(self, llm: LLM, states: PrefixStates | None, lead_source_chars: int, candidates: int,
                 thresholds: dict[str, float], unsure_below: float | None = None):
        """unsure_below: when the best judged section scores below this while one answers, the
        next retrieved section is judged too (None: never)."""
        self.llm = llm
        self.model = getattr(llm, "_model", None)  # LlamaCPP keeps its llama_cpp.Llama private
        if self.model is None:
            raise JudgeUnavailable("The answerability judge needs the local model (llm.backend = local): "
                                   "an endpoint gives no token log-probabilities. Set answer.judge = off.")
        self.states = states
        self.lead_source_chars = lead_source_chars
        self.candidates = candidates
        self.thresholds = thresholds
        self.unsure_below = unsure_below
        # the last question's log-likelihoods, by section label (None: no source): the parts of one
        # message that are judged on the whole message share them (see Assistant._answer_parts)
        self._memo: tuple[tuple[str, str], dict[str | None, float]] = (("", ""), {})

    def messages(self, question: str, language: str, section: Section | None) -> tuple[list[ChatMessage], list[Source]]:
        """The judgement's chat messages and its source (the section; none for the baseline)."""
        sources = [lead_source(section, self.lead_source_chars)] if section else []
        return section_messages("judge_user", language, question, sources), sources

    def prompt(self, question: str, language: str, section: Section | None) -> tuple[str, str]:
        """(prefix, prompt) of the judgement of `section`, as the local model reads it; the
        prefix is the answer prompt's ("system + source [1]"; "" without a section)."""
        return fixed_prefix(self.llm, *self.messages(question, language, section))

    def _tokens(self, prompt: str, question: str) -> tuple[list[int], list[int]]:
        """(context, question tokens): `prompt` cut after the question, tokenised, split where
        the tokens of the text before the question end."""
        end = prompt.rindex(question) + len(question)
        full = self.model.tokenize(prompt[:end].encode("utf-8"), add_bos=False, special=True)
        before = self.model.tokenize(prompt[: end - len(question)].encode("utf-8"), add_bos=False, special=True)
        n = common_prefix(before, full)
        return full[:n], full[n:]

    def likelihood(self, question: str, language: str, section: Section | None) -> tuple[float, str]:
        """(mean log-probability of the question's tokens after the prompt with `section` as
        source [1] (None: no source), how the prefix was obtained)."""
        prefix, prompt = self.prompt(question, language, section)
        how = self.states.prime(prefix, prompt) if section is not None and self.states is not None else ""
        return continuation_logprob(self.model, *self._tokens(prompt, question)), how

    def reply_logprobs(self, question: str, language: str, section: Section | None,
                       sentences: list[str]) -> list[np.ndarray]:
        """Per sentence, the log-probabilities (nats) of its tokens when `sentences` are read as
        the model's reply to the answer prompt with `section` as source [1] (None: no source).
        The reply is at most the answer's token cap (llm.max_new_tokens), so it fits one batch."""
        sources = [lead_source(section, self.lead_source_chars)] if section else []
        prefix, prompt = fixed_prefix(self.llm, section_messages("answer_user", language, question, sources), sources)
        if section is not None and self.states is not None:
            self.states.prime(prefix, prompt)
        context = self.model.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        pieces = [self.model.tokenize((s if k == 0 else " " + s).encode("utf-8"), add_bos=False, special=False)
                  for k, s in enumerate(sentences)]
        logprobs = continuation_logprobs(self.model, context, [t for p in pieces for t in p])
        ends = np.cumsum([len(p) for p in pieces])
        return [logprobs[end - len(p): end] for p, end in zip(pieces, ends)]

    def support(self, question: str, language: str, sentences: list[str], section: Section) -> list[float]:
        """Per generated sentence, its pointwise mutual information with `section` (nats per
        token): how much likelier the section as source [1] makes the sentence, read as the
        reply to the question, than no source does. A sentence the section states scores high;
        advice the model would give anyway, or a claim of another subject, scores near or below
        0 (the faithfulness measure of van der Poel et al. 2022, "Mutual Information Alleviates
        Hallucinations in Abstractive Summarization")."""
        if not sentences:
            return []
        with GENERATION_LOCK:
            base = self.reply_logprobs(question, language, None, sentences)
            given = self.reply_logprobs(question, language, section, sentences)
        return [float(g.mean() - b.mean()) for g, b in zip(given, base)]

    def judge(self, question: str, language: str, sections: list[Section]) -> list[Verdict]:
        """A Verdict per section, in the order given. The likelihoods of the last question judged
        are kept: judging it again against a section already read costs nothing (prefix_state
        "memo"). The no-source baseline is read last, after a section's state has put the system
        prompt in the model's context (first, it would evaluate the whole system prompt on the
        first question after start-up: about 7 s)."""
        with GENERATION_LOCK:
            key, memo = self._memo
            if key != (question, language):
                memo = {}
                self._memo = ((question, language), memo)
            given = [self._remembered(memo, question, language, section) for section in sections]
            base = self._remembered(memo, question, language, None)[0]
        verdicts = []
        for section, (ll, how) in zip(sections, given):
            score = ll - base
            verdicts.append(Verdict(section.label, score, score >= self.thresholds[language], how))
            log.info("judge %s: %.3f nats/token (%s)", section.label, score, how)
        return verdicts

    def _remembered(self, memo: dict[str | None, float], question: str, language: str,
                    section: Section | None) -> tuple[float, str]:
        """`likelihood`, read from `memo` (by section label) when there, else computed and kept."""
        label = section.label if section is not None else None
        if label in memo:
            return memo[label], "memo"
        ll, how = self.likelihood(question, language, section)
        memo[label] = ll
        return ll, how

    def rerank(self, question: str, language: str, hits: list[SectionHit], sections: dict[str, Section],
               kept: list[str] = ()) -> tuple[list[SectionHit], list[Verdict]]:
        """The first `candidates` hits ordered by score (ties keep retrieval's order; see
        `may_lead`), then the rest, and the verdicts. A `kept` section (the one the conversation's
        previous answer drew on) that the judge finds answering leads: a follow-up stays on its
        topic rather than move to a section that scores higher on the earlier questions it is
        read with ("Is there State money for breakfasts, and who do I talk to?": the second part
        stays on the breakfast workshop, not the canteen one). ([], verdicts) when no judged section
        reaches the threshold. When one does but the best scores below `unsure_below`, the next
        hit is judged too and takes part in the order (a paraphrase whose section retrieval
        ranked third); it cannot turn a refusal into an answer."""
        judged = hits[: self.candidates]
        verdicts = self.judge(question, language, [sections[h.label] for h in judged])
        if not any(v.answers for v in verdicts):
            return [], verdicts
        if self.unsure_below is not None and len(hits) > len(judged) and \
                max(v.score for v in verdicts) < self.unsure_below:
            judged = hits[: len(judged) + 1]
            verdicts = self.judge(question, language, [sections[h.label] for h in judged])  # the first ones: memo
        order = sorted(range(len(judged)), key=lambda k: (not self.may_lead(k, judged, sections),
                                                         not (verdicts[k].answers and judged[k].label in kept),
                                                         -verdicts[k].score))
        return [judged[k] for k in order] + hits[len(judged):], verdicts

    @staticmethod
    def may_lead(k: int, judged: list[SectionHit], sections: dict[str, Section]) -> bool:
        """Whether the judge may put judged[k] first: an editorial section (the prefect's word,
        the introduction) never overtakes a programme section retrieval put first. Those
        sections touch every topic in general words, which makes any question a little likelier
        after them (on eval/questions.jsonl the judge moved "Dans notre
        station, les travailleurs de la saison…" from Atelier n°16 to the prefect's word)."""
        return k == 0 or sections[judged[0].label].role != "programme" or sections[judged[k].label].role != "editorial"

    def warm(self, sections: list[Section], progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Save the prefix state of every section (shared with the generative answers, see
        `save_section_states`); nothing to do without states."""
        return save_section_states(self.llm, self.states, sections, self.lead_source_chars, progress)
