"""The answerability judge with the real bundled 0.5B model: its prompt shares the answer
prompt's saved "system + section" prefix, a judgement is the question's log-probability after
the section minus after no source (nats per token), and the assistant reranks by it and refuses
when no candidate section reaches the threshold. Quality with the chat's 1.5B model is measured
by the eval (README, "Answerability judge")."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install -e '.[llm]')")

from guide_assistant.assistant.judge import Judge, Verdict, continuation_logprob, log_softmax_at  # noqa: E402
from guide_assistant.assistant.model_parts import ensure_model, get_model  # noqa: E402
from guide_assistant.assistant.service import Assistant  # noqa: E402
from guide_assistant.config import Settings  # noqa: E402

pytestmark = pytest.mark.llm
SMALL = "qwen2.5-coder-0.5b"


@pytest.fixture(scope="module")
def judged(built_index, settings, tmp_path_factory):
    cache = tmp_path_factory.mktemp("judge-models")
    ensure_model(get_model(SMALL), cache, progress=False)
    on = Settings(ingest=settings.ingest.model_dump(), index=settings.index.model_dump(),
                  answer={"judge": "on", "judge_candidates": 2}, llm={"model": SMALL, "cache_dir": cache})
    return Assistant(built_index, on)


def test_auto_turns_the_judge_on_only_with_an_installed_local_model(assistant, settings, judged):
    from guide_assistant.assistant.service import make_judge

    assert Settings().answer.judge == "auto"
    endpoint = settings.model_copy(update={"answer": settings.answer.model_copy(update={"judge": "auto"}),
                                           "llm": settings.llm.model_copy(update={"backend": "openai"})})
    assert make_judge(endpoint) is None  # an endpoint gives no token log-probabilities
    small = endpoint.model_copy(update={"llm": judged.settings.llm})
    assert make_judge(small) is not None  # the llm extra installs the 0.5B model
    assert assistant.judge is None  # the suite's settings turn it off
    assert "judge" not in assistant.ask("Comment financer des petits déjeuners à l'école ?").debug


def test_the_judge_reuses_the_answer_prefix(judged, sections):
    from guide_assistant.assistant.generate import fixed_prefix, lead_source, section_messages

    section = sections["Atelier n°2"]
    judge_prefix, judge_prompt = judged.judge.prompt("Combien par petit déjeuner ?", "fr", section)
    sources = [lead_source(section, judged.settings.llm.lead_source_chars)]
    answer_prefix, _ = fixed_prefix(judged.judge.llm, section_messages("answer_user", "fr", "?", sources), sources)
    assert judge_prefix == answer_prefix
    assert judge_prompt.startswith(judge_prefix) and "Combien par petit déjeuner ?" in judge_prompt


def test_a_primed_state_scores_as_a_fresh_context(judged):
    model = judged.judge.model
    context = model.tokenize("Le guide des élus parle des petits déjeuners à l'école. Question :".encode(), add_bos=False)
    question = model.tokenize(" Combien coûte un petit déjeuner ?".encode(), add_bos=False)
    model.reset()
    fresh = continuation_logprob(model, context, question)
    again = continuation_logprob(model, context, question)  # the context is live now: only the tail is decoded
    other = continuation_logprob(model, context, model.tokenize(" Quel temps fera-t-il demain ?".encode(), add_bos=False))
    assert fresh < 0 and abs(fresh - again) < 1e-3
    assert other != pytest.approx(fresh, abs=1e-3)


def test_the_batched_scores_equal_token_by_token_decoding(judged):
    """The one-batch decode (context tail and scored tokens together, logits of the scored rows
    only) gives the log-probabilities that llama.cpp's own decoding gives token by token."""
    model = judged.judge.model
    context = model.tokenize("Source : le guide des élus. Question :".encode(), add_bos=False)
    scored = model.tokenize(" Qui finance les petits déjeuners ?".encode(), add_bos=False)
    reference = []
    for i, token in enumerate(scored):
        model.reset()
        model.eval(context + scored[:i])
        last = np.ctypeslib.as_array(model._ctx.get_logits(), shape=(1, model.n_vocab()))  # the last token's
        reference.append(log_softmax_at(last, [token])[0])
    model.reset()
    model.eval(context[:2])  # a live prefix shorter than the context: its tail goes in the batch
    assert continuation_logprob(model, context, scored) == pytest.approx(float(np.mean(reference)), abs=0.02)


def test_the_section_on_the_subject_makes_the_question_likelier(judged, sections):
    q = "Combien l'État verse-t-il par petit déjeuner servi à l'école ?"
    on_topic, off_topic = judged.judge.judge(q, "fr", [sections["Atelier n°2"], sections["Atelier n°10"]])
    assert on_topic.score > off_topic.score
    assert on_topic.score > 0


def test_verdicts_are_recorded_and_decide(judged):
    a = judged.ask("Comment financer des petits déjeuners à l'école ?")
    verdicts = a.debug["judge"]
    assert 1 <= len(verdicts) <= 2
    threshold = judged.settings.answer.judge_threshold_fr
    for label, answers, score, how in verdicts:
        assert answers == (score >= threshold)
        assert how in ("live", "loaded", "saved")
    assert a.refused == (not any(v[1] for v in verdicts))
    assert not a.refused and a.citations[0].section == "Atelier n°2"


def test_the_baseline_is_read_after_a_section_state_and_a_question_judged_again_costs_nothing(judged, sections,
                                                                                              monkeypatch):
    import guide_assistant.assistant.judge as judge_module
    from guide_assistant.assistant.prefix_states import common_prefix

    calls = []
    scored = judge_module.continuation_logprobs

    def recording(llama, context, tokens):  # how much of each context the model already holds
        calls.append((common_prefix(llama.input_ids[: llama.n_tokens].tolist(), context), len(context)))
        return scored(llama, context, tokens)

    monkeypatch.setattr(judge_module, "continuation_logprobs", recording)
    judged.judge.model.reset()  # as after start-up: nothing in the model's context
    q = "Combien coûte un repas à la cantine pour les familles modestes ?"
    first = judged.judge.judge(q, "fr", [sections["Atelier n°1"]])
    live, length = min(calls, key=lambda c: c[1])  # the baseline has the shortest context (no source)
    assert len(calls) == 2 and live > length // 2  # it shares the system prompt of the section's state
    again = judged.judge.judge(q, "fr", [sections["Atelier n°1"], sections["Atelier n°2"]])
    assert len(calls) == 3  # only Atelier n°2 is read
    assert again[0].score == first[0].score and again[0].prefix_state == "memo"


def test_the_parts_of_a_message_read_as_one_conversation_are_judged_on_the_message(judged):
    q = "Si notre commune propose le repas de cantine à moins d'un euro, combien l'État verse-t-il par repas et qui " \
        "faut-il contacter ?"
    a = judged.ask(q)
    first, second = a.debug["parts"]
    assert second["followup"]  # "qui faut-il contacter ?" keeps the canteen's subject
    read_twice = {v[0] for v in first["judge"]} & {v[0] for v in second["judge"]}
    assert read_twice and all(v[3] == "memo" for v in second["judge"] if v[0] in read_twice)


def test_a_named_section_is_not_judged(judged):
    a = judged.ask("Que dit l'atelier 2 ?")
    assert "judge" not in a.debug and not a.refused


def test_rerank_orders_by_score_and_refuses_below_the_threshold(judged, sections):
    scores = {"Atelier n°8": 0.5}

    class Scripted(Judge):  # the scores are not under test here: only the ordering and the refusal
        def judge(self, question, language, judged_sections):
            return [Verdict(s.label, scores.get(s.label, -0.5), scores.get(s.label, -0.5) >= self.thresholds[language])
                    for s in judged_sections]

    from guide_assistant.assistant.retrieval import group_sections

    hits = group_sections(judged.retriever.retrieve("petits déjeuners surendettement points conseil budget"))
    labels = [h.label for h in hits]
    assert "Atelier n°8" in labels[:2]
    scripted = Scripted(judged.judge.llm, None, 3200, 2, {"fr": 0.0, "en": 0.0})
    reranked, verdicts = scripted.rerank("q", "fr", hits, sections)
    assert reranked[0].label == "Atelier n°8" and len(reranked) == len(hits)
    assert sorted(h.label for h in reranked) == sorted(labels)
    others = [h for h in hits if h.label != "Atelier n°8"]
    assert scripted.rerank("q", "fr", others, sections)[0] == []


def test_an_unsure_judgement_reads_the_next_section_which_may_lead_but_never_rescues_a_refusal(judged, sections):
    from guide_assistant.assistant.retrieval import group_sections

    scores: dict[str, float] = {}
    seen: list[int] = []

    class Scripted(Judge):  # scripted scores: the extension to the next section is under test
        def judge(self, question, language, judged_sections):
            seen.append(len(judged_sections))
            return [Verdict(s.label, scores.get(s.label, -0.5), scores.get(s.label, -0.5) >= self.thresholds[language])
                    for s in judged_sections]

    hits = group_sections(judged.retriever.retrieve("petits déjeuners, cantine à 1 €, points conseil budget"))
    first, second, third = (h.label for h in hits[:3])
    scripted = Scripted(judged.judge.llm, None, 3200, 2, {"fr": 0.0, "en": 0.0}, unsure_below=0.15)
    scores.update({first: 0.05, third: 0.6})  # the best of two answers, unsurely: the third is read and leads
    reranked, verdicts = scripted.rerank("q", "fr", hits, sections)
    assert seen == [2, 3] and [v.label for v in verdicts] == [first, second, third]
    assert reranked[0].label == third and sorted(h.label for h in reranked) == sorted(h.label for h in hits)
    seen.clear()
    scores.update({first: 0.3})  # a sure answer: two sections only
    assert scripted.rerank("q", "fr", hits, sections)[0][0].label == first and seen == [2]
    seen.clear()
    scores.update({first: -0.5})  # neither of the two answers: a refusal, whatever the third would say
    assert scripted.rerank("q", "fr", hits, sections)[0] == [] and seen == [2]


def test_an_editorial_section_never_overtakes_a_programme_section_retrieval_put_first(judged, sections):
    from dataclasses import replace

    from guide_assistant.assistant.retrieval import group_sections

    class Scripted(Judge):  # the prefect's word scores best: the role decides, not the score
        def judge(self, question, language, judged_sections):
            return [Verdict(s.label, 0.5 if s.role == "editorial" else 0.1, True) for s in judged_sections]

    top = group_sections(judged.retriever.retrieve("petits déjeuners"))[0]
    assert sections[top.label].role == "programme"
    hits = [top, replace(top, label="Le mot du préfet de région")]
    scripted = Scripted(judged.judge.llm, None, 3200, 2, {"fr": 0.0, "en": 0.0})
    assert [h.label for h in scripted.rerank("q", "fr", hits, sections)[0]] == [top.label, "Le mot du préfet de région"]
    # retrieval put the prefect's word first: the judge's order stands
    assert [h.label for h in scripted.rerank("q", "fr", hits[::-1], sections)[0]][0] == "Le mot du préfet de région"
    # a practical page (the conference's own logistics) may lead when the judge prefers it
    practical = [top, replace(top, label="Informations pratiques")]
    scripted.judge = lambda q, lang, secs: [Verdict(s.label, 0.5 if s.role == "practical" else 0.1, True) for s in secs]
    assert scripted.rerank("q", "fr", practical, sections)[0][0].label == "Informations pratiques"


def test_the_section_the_previous_answer_drew_on_leads_while_the_judge_finds_it_answering(judged, sections):
    from guide_assistant.assistant.retrieval import group_sections

    scores: dict[str, float] = {}

    class Scripted(Judge):  # scripted scores: the conversation's section against a higher score is under test
        def judge(self, question, language, judged_sections):
            return [Verdict(s.label, scores.get(s.label, -0.5), scores.get(s.label, -0.5) >= self.thresholds[language])
                    for s in judged_sections]

    hits = group_sections(judged.retriever.retrieve("petits déjeuners, cantine à 1 €"))
    first, second = (h.label for h in hits[:2])
    scripted = Scripted(judged.judge.llm, None, 3200, 2, {"fr": 0.0, "en": 0.0})
    scores.update({first: 0.4, second: 0.3})
    assert scripted.rerank("q", "fr", hits, sections, kept=[second])[0][0].label == second
    assert scripted.rerank("q", "fr", hits, sections)[0][0].label == first
    scores.update({second: -0.3})  # the conversation's section does not answer: the judge's order stands
    assert scripted.rerank("q", "fr", hits, sections, kept=[second])[0][0].label == first


def test_a_part_asking_whom_to_contact_keeps_the_workshop_of_the_part_before(judged):
    a = judged.ask("We'd like to start free breakfasts at our village school. Is there State money for that, "
                   "and who do I talk to?")
    second = a.answer.split("**2.")[1]
    assert "Atelier n°2" in second and "DSDEN" in second and "05 49 37 56 30" not in second


def test_a_follow_up_message_of_several_questions_is_judged_with_its_thread(judged):
    from guide_assistant.records import Turn

    first = "Y a-t-il une aide de l'État pour une cantine à petit prix dans une commune rurale ?"
    history = [Turn(role="user", content=first), Turn(role="assistant", content=judged.ask(first).answer)]
    a = judged.ask("d'accord, et elle dure combien de temps ? et vous avez leur adresse mail ?", history)
    assert not a.refused and "**2." in a.answer
    assert a.sections[0] == "Atelier n°1" and "aidecantinescolaire@asp-public.fr" in a.answer.split("**2.")[1]


def test_a_sentence_the_section_states_is_better_supported_than_generic_advice(judged, sections):
    stated, generic = judged.judge.support(
        "Comment financer des petits déjeuners à l'école ?", "fr",
        ["L'État apporte un soutien financier de 1,30 € par petit-déjeuner.",
         "Il est important de bien communiquer avec les familles et de créer du lien social."],
        sections["Atelier n°2"])
    assert stated > generic
    assert stated > judged.settings.answer.support_threshold > generic


def test_generated_sentences_their_cited_source_does_not_support_are_removed(judged, sections):
    from guide_assistant.assistant.generate import Draft, GenerativeAnswerer, Source

    index = judged.index
    answerer = GenerativeAnswerer(judged.judge.llm, index.embedder, index.sentences, judge=judged.judge,
                                  support_threshold=judged.settings.answer.support_threshold)
    generic = "Il est important de bien communiquer avec les familles et de créer du lien social"
    raw = f"L'État apporte un soutien financier de 1,30 € par petit-déjeuner [1]. {generic} [1]."
    draft = Draft(question="Comment financer des petits déjeuners à l'école ?", language="fr", hits=[],
                  sources=[Source(1, sections["Atelier n°2"], sections["Atelier n°2"].text)], messages=[], raw=raw)
    text, _ = answerer.finish(draft, sections)
    assert "1,30 € par petit-déjeuner (Atelier n°2, p. 7)" in text and generic not in text
    assert draft.removed == [(generic + ".", ["unsupported"])]
