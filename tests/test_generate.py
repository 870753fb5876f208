"""The generative mode's application-side checks, on hand-written model outputs: citation
mapping, dropping of unknown source numbers, the per-citation check of phone numbers, amounts
and dates, refusals, and the prompt files. The model itself is not under test here
(tests/test_llm_model.py and tests/test_llm_end_to_end.py run the real ones)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guide_assistant.details import extract_details
from guide_assistant.assistant.retrieval import group_sections
from guide_assistant.assistant.generate import (
    Draft,
    GenerativeAnswerer,
    Source,
    SourceRefusal,
    check_answer,
    sentence_numbers,
)
from guide_assistant.assistant.llm_model import messages_to_prompt
from guide_assistant.prompts import PROMPT_VARIABLES, SHARED_PROMPTS, Prompt, PromptError, load_prompt, template_variables


@pytest.fixture(scope="module")
def sources(built_index):
    s = built_index.sections
    return [Source(1, s["Atelier n°2"], s["Atelier n°2"].text), Source(2, s["Atelier n°1"], s["Atelier n°1"].text)]


@pytest.fixture(scope="module")
def answerer(built_index):
    return GenerativeAnswerer(llm=None, embedder=built_index.embedder, sentence_vectors=built_index.sentences,
                              translate=built_index.word_map.translate)


@pytest.fixture(scope="module")
def sections(built_index):
    return built_index.sections


def draft(raw: str, sources, question="Comment financer des petits déjeuners ?", language="fr", hits=()) -> Draft:
    return Draft(question=question, language=language, hits=list(hits), sources=sources, messages=[], raw=raw)


def test_markers_map_to_sections_and_unknown_numbers_are_dropped(answerer, sources, sections):
    raw = ("L'État verse 1,30 € par petit-déjeuner [1]. La cantine est aidée à hauteur de 3 € par repas [2][7]. "
           "Contactez la DSDEN de votre département [9].")
    text, citations = answerer.finish(draft(raw, sources), sections)
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
    assert [bad for _, bad in removed] == [["05 11 22 33 44"], ["5 €"]]


def test_a_phone_number_in_another_format_is_checked_too(sources):
    kept, removed = check_answer("The phone number is [123-456-7890] [2]. The ASP answers on [05 49 37 56 30] [2].",
                                 sources)
    assert [t for t, _ in kept] == ["The ASP answers on 05 49 37 56 30."]
    assert removed == [("The phone number is 123-456-7890.", ["123-456-7890"])]


@pytest.mark.parametrize("raw, reason", [
    ("Le soutien est de 1,30 € par petit-déjeuner [1]. **Date** : [Insert Date] [1].", "placeholder"),
    ("Le soutien est de 1,30 € par petit-déjeuner [1]. La commune peut aussi demander", "truncated"),
    ("Le soutien est de 1,30 € par petit-déjeuner [1]. Il est                [4", "truncated"),
    ("Le soutien est de 1,30 € par petit-déjeuner [1].\n**Contact", "truncated"),
    ("Le soutien est de 1,30 € par petit-déjeuner [1]. Le soutien est de 1,30 € par petit-déjeuner [1].", "repeat"),
])
def test_sentences_that_cannot_be_shown_are_removed(sources, raw, reason):
    kept, removed = check_answer(raw, sources)
    assert [t for t, _ in kept] == ["Le soutien est de 1,30 € par petit-déjeuner."]
    assert [why for _, why in removed] == [[reason]]


def test_agreeing_with_a_false_amount_is_removed_and_the_correction_comes_first(answerer, sources, sections):
    raw = "Oui, l'État paie bien ce montant [1]. Contactez la DSDEN de votre département [1]."
    text, _ = answerer.finish(draft(raw, sources, question="Pourquoi l'État paie-t-il 5 € par petit-déjeuner ?"),
                              sections)
    assert text.startswith("Attention : le montant de votre question n'est pas celui du guide.")
    assert "Oui" not in text and "Contactez la DSDEN de votre département" in text


def test_a_detail_from_another_section_is_not_supported(sources):
    # 05 49 37 56 30 is the ASP number of Atelier n°1, not a fact of Atelier n°2
    kept, removed = check_answer("Pour les petits déjeuners, appelez le 05 49 37 56 30 [1].", sources)
    assert kept == [] and removed


def test_wrong_date_is_removed(sources):
    kept, removed = check_answer("Ce soutien existe depuis 2015 [2]. Il existe depuis 2019 [2].", sources)
    assert [t for t, _ in kept] == ["Il existe depuis 2019."]


def test_answer_without_markers_cites_supporting_sections(answerer, sources, sections):
    text, citations = answerer.finish(draft("Offrir régulièrement un petit déjeuner aux élèves des écoles "
                                            "publiques de territoires prioritaires, avec 1,30 € par petit-déjeuner.",
                                            sources), sections)
    assert citations[0].section == "Atelier n°2"
    assert "(Atelier n°2, p. 7)" in text


def test_contact_card_comes_from_the_record(answerer, sources, sections):
    text, _ = answerer.finish(draft("Le soutien de l'État est de 1,30 € par petit-déjeuner [1].", sources), sections)
    assert "Contactez la DSDEN de votre département" in text


def test_false_premise_is_corrected(answerer, sources, sections):
    text, _ = answerer.finish(draft("Le guide prévoit un soutien de l'État [1].", sources,
                                    question="Pourquoi l'État paie-t-il 5 € par petit-déjeuner ?"), sections)
    assert "n'est pas celui du guide" in text and "1,30 €" in text


@pytest.mark.parametrize("raw", ["NON TROUVÉ", "NOT FOUND", ""])
def test_model_finding_nothing_is_a_refusal(answerer, sources, sections, raw):
    with pytest.raises(SourceRefusal):
        answerer.finish(draft(raw, sources), sections)


def test_removed_sentence_is_replaced_by_the_guide_sentence(answerer, sources, sections):
    raw = "L'État verse 2,50 € par petit-déjeuner [1]. Contactez la DSDEN de votre département [1]."
    text, _ = answerer.finish(draft(raw, sources), sections)
    assert "2,50 €" not in text
    assert "Le guide indique : « Soutien financier de l'Etat : 1,30 € par petit-déjeuner. » (Atelier n°2, p. 7)" in text


def test_nothing_verifiable_left_gives_the_extractive_answer(answerer, sources, sections, assistant):
    question = "Comment financer des petits déjeuners ?"
    hits = group_sections(assistant.retriever.retrieve(question))
    text, citations = answerer.finish(draft("Appelez le 01 02 03 04 05 [1].", sources, question, hits=hits), sections)
    assert "01 02 03 04 05" not in text
    assert "« Soutien financier de l'Etat : 1,30 € par petit-déjeuner. »" in text
    assert citations[0].section == "Atelier n°2"


def test_list_items_keep_their_text_and_share_one_citation(answerer, sources, sections):
    raw = "Pour en bénéficier :\n1. [2] Délibérez en conseil municipal.\n2. [2] Inscrivez la commune auprès de l'ASP."
    text, _ = answerer.finish(draft(raw, sources), sections)
    body = text.split("\n\n")[0]
    assert body == ("Pour en bénéficier : Délibérez en conseil municipal. "
                    "Inscrivez la commune auprès de l'ASP (Atelier n°1, p. 6).")


def test_prompt_files_have_the_declared_variables():
    for name, variables in PROMPT_VARIABLES.items():
        for lang in ((None,) if name in SHARED_PROMPTS else ("fr", "en")):
            assert load_prompt(name, lang).variables == variables
    assert "{sources}" not in load_prompt("answer_user", "fr").render(sources="S", question="Q")


def test_both_languages_share_the_prompt_up_to_the_end_of_the_sources():
    """The saved state of "system prompt + first source" serves French and English questions
    only if both user prompts start the same way."""
    fr, en = (load_prompt("answer_user", lang).render(sources="SOURCES", question="Q") for lang in ("fr", "en"))
    assert fr.split("SOURCES")[0] == en.split("SOURCES")[0]


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


def test_wrong_duration_echo_and_meta_sentences_are_removed(built_index):
    pass_culture = built_index.sections["Atelier n°11"]
    sources = [Source(1, pass_culture, pass_culture.text)]
    question = "Combien vaut le pass Culture et pendant combien de temps ?"
    raw = ("Combien vaut le pass Culture et pendant combien de temps ? [1] "
           "Selon la source numérotée, voici la réponse [1]. "
           "Le pass Culture vaut 300€ [1]. Il est utilisable pendant 30 jours [1]. "
           "Il est utilisable pendant 24 mois [1].")
    kept, removed = check_answer(raw, sources, question)
    assert [t for t, _ in kept] == ["Le pass Culture vaut 300€.", "Il est utilisable pendant 24 mois."]
    assert [why for _, why in removed] == [["echo"], ["meta"], ["30 jours"]]


def test_fixed_prefix_ends_with_source_one_and_is_shared_by_both_languages(built_index):
    """The prompt part whose state is saved: system prompt + source [1], whatever the question,
    its language and the further sources."""
    llm = SimpleNamespace(messages_to_prompt=messages_to_prompt)  # the real ChatML formatting, no model needed
    gen = GenerativeAnswerer(llm=llm, embedder=built_index.embedder, sentence_vectors=built_index.sentences)
    s = built_index.sections
    one = [Source(1, s["Atelier n°2"], s["Atelier n°2"].text)]
    two = one + [Source(2, s["Atelier n°1"], "Inscrivez la commune auprès de l'ASP.")]
    fr_prefix, fr_prompt = gen.fixed_prefix(gen.messages("Comment financer ?", "fr", two), two)
    en_prefix, en_prompt = gen.fixed_prefix(gen.messages("How do I fund it?", "en", one), one)
    assert fr_prefix == en_prefix
    assert fr_prompt.startswith(fr_prefix) and en_prompt.startswith(en_prefix)
    assert fr_prefix.endswith(s["Atelier n°2"].text) and "Inscrivez" not in fr_prefix


def test_an_answer_not_drawn_from_the_sources_is_a_refusal(answerer, sources, sections):
    raw = ("Pour organiser le dépouillement, préparez les bulletins et vérifiez les urnes [1]. "
           "Analysez ensuite les anomalies et proclamez le résultat final [1].")
    with pytest.raises(SourceRefusal):
        answerer.finish(draft(raw, sources, question="Comment organiser le dépouillement des élections ?"), sections)


def test_an_announcement_whose_items_were_all_removed_is_dropped(sources):
    raw = "Voici les étapes : [1]\n1. Payez 100 € par jour [1].\n2. Payez 100 € par nuit [1]."
    kept, removed = check_answer(raw, sources)
    assert kept == [] and removed[-1] == ("Voici les étapes :", ["dangling"])


@pytest.mark.parametrize("raw, misbound", [
    # 3 € is the canteen's (Atelier n°1), cited beside the breakfasts (Atelier n°2): wrong subject
    ("The State pays €3 per school breakfast [1, 2].", "€3"),
    ("Pour les petits déjeuners comme pour la cantine, appelez le 05 49 37 56 30 [1, 2].", "05 49 37 56 30"),
])
def test_a_figure_bound_to_another_subject_is_removed(answerer, sources, sections, raw, misbound):
    kept, _ = check_answer(raw, sources)
    assert kept  # the figure is in the cited sections: only the binding check can see the error
    text, _ = answerer.finish(draft(raw + " Contactez la DSDEN de votre département [1].", sources), sections)
    assert "DSDEN" in text and misbound not in text.split("Le guide indique")[0]


@pytest.mark.parametrize("raw", [
    "L'État verse 1,30 € par petit-déjeuner [1].",
    "L'État prend en charge 3 € par repas servi à la cantine [2].",
    "Pour la cantine, contactez l'ASP au 05 49 37 56 30 ou à aidecantinescolaire@asp-public.fr [2].",
])
def test_a_figure_in_the_sentence_that_says_it_is_kept(answerer, sources, sections, raw):
    kept, removed = answerer.bound(*check_answer(raw, sources)[:1], sources)
    assert kept and not removed


def test_generated_figures_are_dated_with_the_guide_edition(built_index, sources, sections, assistant):
    from guide_assistant.assistant.scope import edition
    from guide_assistant.eval.metrics import dated

    answerer = GenerativeAnswerer(llm=None, embedder=built_index.embedder, sentence_vectors=built_index.sentences,
                                  translate=built_index.word_map.translate, edition=edition(list(sections.values())))
    raw = "L'État verse 1,30 € par petit-déjeuner [1]. Contactez la DSDEN de votre département [1]."
    text, _ = answerer.finish(draft(raw, sources), sections)
    assert "1,30 € par petit-déjeuner (guide de juillet 2021; Atelier n°2, p. 7)." in text
    assert "Contactez la DSDEN de votre département (Atelier n°2, p. 7)." in text
    assert dated(text) is True
    hits = group_sections(assistant.retriever.retrieve("Comment financer des petits déjeuners ?"))
    fallback, _ = answerer.finish(draft("L'État verse 9 € par petit-déjeuner [1].", sources, hits=hits), sections)
    assert "9 €" not in fallback and "1,30 €" in fallback and dated(fallback) is True  # the extractive fallback
