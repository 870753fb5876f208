"""The generative mode's application-side checks, on hand-written model outputs: citation
mapping, dropping of unknown source numbers, the per-citation check of phone numbers, amounts
and dates, refusals, and the prompt files. The model itself is not under test here
(tests/test_llm_model.py and tests/test_llm_end_to_end.py run the real ones)."""

from __future__ import annotations

import pytest

from guide_assistant.assistant.details import extract_details
from guide_assistant.assistant.generate import (
    Draft,
    GenerativeAnswerer,
    Source,
    SourceRefusal,
    check_answer,
    sentence_numbers,
)
from guide_assistant.prompts import PROMPT_VARIABLES, Prompt, PromptError, load_prompt, template_variables


@pytest.fixture(scope="module")
def sources(built_index):
    s = built_index.sections
    return [Source(1, s["Atelier n°2"], s["Atelier n°2"].text), Source(2, s["Atelier n°1"], s["Atelier n°1"].text)]


@pytest.fixture(scope="module")
def answerer(built_index):
    return GenerativeAnswerer(llm=None, embedder=built_index.embedder, sentence_vectors=built_index.sentences)


def draft(raw: str, sources, question="Comment financer des petits déjeuners ?", language="fr") -> Draft:
    return Draft(question=question, language=language, sources=sources, messages=[], raw=raw)


def test_markers_map_to_sections_and_unknown_numbers_are_dropped(answerer, sources):
    raw = ("L'État verse 1,30 € par petit-déjeuner [1]. La cantine est aidée à hauteur de 3 € par repas [2][7]. "
           "Contactez la DSDEN de votre département [9].")
    text, citations = answerer.finish(draft(raw, sources))
    assert "1,30 € par petit-déjeuner (Atelier n°2, p. 7)" in text
    assert "3 € par repas (Atelier n°1, p. 6)" in text
    assert "[7]" not in text and "[9]" not in text and "[" not in text.split("\n\n")[0]
    assert [c.section for c in citations] == ["Atelier n°2", "Atelier n°1"]
    assert "1,30 €" in citations[0].quote  # the quote is the guide's own sentence
    assert sentence_numbers("voir [1, 2] et [5]", {1, 2}) == [1, 2]


def test_wrong_phone_number_and_wrong_amount_are_removed(sources):
    raw = ("Appelez l'ASP au 05 11 22 33 44 [2]. L'État paie 5 € par petit-déjeuner [1]. "
           "L'ASP répond au 05 49 37 56 30 [2]. Le soutien est de 1,30 € par petit-déjeuner [1].")
    kept, removed = check_answer(raw, sources)
    kept_text = " ".join(t for t, _ in kept)
    assert "05 49 37 56 30" in kept_text and "1,30 €" in kept_text
    assert "05 11 22 33 44" not in kept_text and "5 € par" not in kept_text
    assert len(removed) == 2 and "05 11 22 33 44" in removed[0]


def test_a_detail_from_another_section_is_not_supported(sources):
    # 05 49 37 56 30 is the ASP number of Atelier n°1, not a fact of Atelier n°2
    kept, removed = check_answer("Pour les petits déjeuners, appelez le 05 49 37 56 30 [1].", sources)
    assert kept == [] and removed


def test_wrong_date_is_removed(sources):
    kept, removed = check_answer("Ce soutien existe depuis 2015 [2]. Il existe depuis 2019 [2].", sources)
    assert [t for t, _ in kept] == ["Il existe depuis 2019."]


def test_answer_without_markers_cites_supporting_sections(answerer, sources):
    text, citations = answerer.finish(draft("Offrir régulièrement un petit déjeuner aux élèves des écoles "
                                            "publiques de territoires prioritaires, avec 1,30 € par petit-déjeuner.",
                                            sources))
    assert citations[0].section == "Atelier n°2"
    assert "(Atelier n°2, p. 7)" in text


def test_contact_card_comes_from_the_record(answerer, sources):
    text, _ = answerer.finish(draft("Le soutien de l'État est de 1,30 € par petit-déjeuner [1].", sources))
    assert "Contactez la DSDEN de votre département" in text


def test_false_premise_is_corrected(answerer, sources):
    text, _ = answerer.finish(draft("Le guide prévoit un soutien de l'État [1].", sources,
                                    question="Pourquoi l'État paie-t-il 5 € par petit-déjeuner ?"))
    assert "n'est pas celui du guide" in text and "1,30 €" in text


@pytest.mark.parametrize("raw", ["NON TROUVÉ", "NOT FOUND", "", "Appelez le 01 02 03 04 05 [1]."])
def test_refusals(answerer, sources, raw):
    with pytest.raises(SourceRefusal):
        answerer.finish(draft(raw, sources))


def test_prompt_files_have_the_declared_variables():
    for name, variables in PROMPT_VARIABLES.items():
        for lang in ("fr", "en"):
            assert load_prompt(name, lang).variables == variables
    assert "{sources}" not in load_prompt("answer_user", "fr").render(sources="S", question="Q")


def test_bad_prompt_variables_are_refused():
    assert template_variables("Sources {sources} question {qestion}") == {"sources", "qestion"}
    prompt = Prompt("x", "{question}", frozenset({"question"}))
    with pytest.raises(PromptError):
        prompt.render(question="a", extra="b")
    with pytest.raises(PromptError):
        load_prompt("no_such_prompt", "fr")


def test_dates_are_extracted_and_normalised():
    values = {d.value for d in extract_details("le 7 juillet 2021, en septembre 2020, depuis 2019, le 28 juin",
                                               dates=True) if d.kind == "date"}
    assert values == {"2021-07-07", "2020-09", "2019", "?-06-28"}
    assert not [d for d in extract_details("10.000 habitants", dates=True) if d.kind != "date"]
