"""The answerability judge with the real bundled 0.5B model: its prompt shares the answer
prompt's saved "system + section" prefix, a verdict is one short generation read as yes/no, and
the assistant refuses when no candidate section is judged to answer. The model's own verdicts
vary with its size, so the tests check the mechanism; its quality is measured by the eval
(README, "Answerability judge")."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install -e '.[llm]')")

from guide_assistant.assistant.judge import YES, Judge  # noqa: E402
from guide_assistant.assistant.llm_model import ensure_model, get_model  # noqa: E402
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


def test_the_judge_is_off_by_default(assistant):
    assert Settings().answer.judge == "off"
    assert assistant.judge is None
    assert "judge" not in assistant.ask("Comment financer des petits déjeuners à l'école ?").debug


def test_the_judge_reuses_the_answer_prefix(judged, sections):
    from guide_assistant.assistant.generate import fixed_prefix, lead_source, section_messages

    section = sections["Atelier n°2"]
    judge_prefix, judge_prompt = judged.judge.prompt("Combien par petit déjeuner ?", "fr", section)
    sources = [lead_source(section, judged.settings.llm.lead_source_chars)]
    answer_prefix, _ = fixed_prefix(judged.judge.llm, section_messages("answer_user", "fr", "?", sources), sources)
    assert judge_prefix == answer_prefix
    assert judge_prompt.startswith(judge_prefix) and "OUI ou NON" in judge_prompt


def test_verdicts_are_recorded_and_decide(judged):
    a = judged.ask("Comment financer des petits déjeuners à l'école ?")
    verdicts = a.debug["judge"]
    assert 1 <= len(verdicts) <= 2
    for label, answers, raw, how in verdicts:
        assert answers == bool(YES.match(raw))
        assert how in ("live", "loaded", "saved")
    assert a.refused == (not any(v[1] for v in verdicts))
    if a.refused:
        assert a.debug["refusal"] == "sources"
    else:
        assert a.citations[0].section in [v[0] for v in verdicts if v[1]]


def test_a_named_section_is_not_judged(judged):
    a = judged.ask("Que dit l'atelier 2 ?")
    assert "judge" not in a.debug and not a.refused


def test_rerank_moves_the_first_yes_to_the_front(judged, sections):
    class Scripted(Judge):  # the verdicts are not under test here: only the ordering
        def judge(self, question, language, section):
            from guide_assistant.assistant.judge import Verdict
            return Verdict(section.label, section.label == "Atelier n°8", "", "")

    from guide_assistant.assistant.retrieval import group_sections

    hits = group_sections(judged.retriever.retrieve("petits déjeuners surendettement points conseil budget"))
    labels = [h.label for h in hits]
    assert "Atelier n°8" in labels[:2]
    scripted = Scripted(judged.judge.llm, None, 3200, candidates=2)
    reranked, verdicts = scripted.rerank("q", "fr", hits, sections)
    assert reranked[0].label == "Atelier n°8" and len(reranked) == len(hits)
    others = [h for h in hits if h.label != "Atelier n°8"]
    assert Scripted(judged.judge.llm, None, 3200, candidates=1).rerank("q", "fr", others, sections)[0] == []
