"""Evaluation metrics on hand-made answers (no model, no index)."""

from __future__ import annotations

import json

import pytest

from guide_assistant.details import Detail, extract_details, parse_number
from guide_assistant.eval.metrics import (
    EvalItem,
    EvalSetError,
    ItemScore,
    aggregate,
    all_facts,
    body_language,
    citation_hit,
    citation_precision,
    dated,
    fact_recall,
    false_refusal_rate,
    forbidden_found,
    has_forbidden,
    hit_at_k,
    invented_details,
    language_match,
    limit_stated,
    load_eval_set,
    own_words,
    percentile,
    reciprocal_rank,
    refusal_correct,
    refusal_recall,
    score_item,
    unsupported_details,
)
from guide_assistant.records import Answer, Citation

NBSP, NNBSP = "\u00a0", "\u202f"

SECTIONS = {
    "Atelier n°1": (
        "Atelier n°1 — La cantine à 1€. L'Etat offre une prise en charge de 3 € par repas servi. "
        "Contact : Tel 05 49 37 56 30 ou aidecantinescolaire@asp-public.fr "
        "https://www.asp-public.fr/tarification-sociale-des-cantines-scolaires"
    ),
    "Atelier n°2": (
        "Atelier n°2 — Petits-déjeuners à l'école. "
        "Soutien financier de l'Etat : 1,30 € par petit-déjeuner. Communes de moins de 10.000 habitants."
    ),
    "Atelier n°5": (
        "Atelier n°5 — Points conseil budget. Une subvention annuelle de 15 000€ par structure "
        "pendant 3 ans. Plus de 7 milliards d'€ au plan."
    ),
}
CORPUS = "\n\n".join(SECTIONS.values())


def make_item(**kw) -> EvalItem:
    base = dict(
        id="q1",
        lang="fr",
        type="funding",
        question="Combien l'Etat verse-t-il par petit-déjeuner ?",
        expected_sources=["Atelier n°2"],
        must_contain=[["1,30 €", "1.30 €", "€1.30"]],
        must_not_contain=["3 € par petit-déjeuner"],
        expect_refusal=False,
        notes="",
    )
    base.update(kw)
    return EvalItem.model_validate(base)


def make_answer(text: str, sections=("Atelier n°2",), refused=False, language="fr", latency=0.5) -> dict:
    return {
        "id": "q1",
        "question": "Combien l'Etat verse-t-il par petit-déjeuner ?",
        "answer": text,
        "refused": refused,
        "language": language,
        "mode": "extractive",
        "citations": [
            {"section": s, "title": "t", "pages": [7], "quote": "…"} for s in sections
        ],
        "latency_s": latency,
    }


# ---------------------------------------------------------------- perfect answer


def test_perfect_answer_scores_one_everywhere():
    item = make_item()
    ans = make_answer("L'Etat verse 1,30 € par petit-déjeuner (Atelier n°2, p. 7).")
    s = score_item(item, ans, ["Atelier n°2", "Atelier n°1"], CORPUS, SECTIONS)
    assert isinstance(s, ItemScore)
    for name in ("hit_at_1", "hit_at_3", "hit_at_5", "reciprocal_rank", "fact_recall", "citation_precision"):
        assert getattr(s, name) == 1.0, name
    assert s.all_facts is True
    assert s.citation_hit is True
    assert s.refusal_correct is True
    assert s.language_match is True
    assert s.forbidden is False and s.forbidden_found == []
    assert s.invented == [] and s.unsupported == []
    assert s.missing_facts == []
    agg = aggregate([s])
    for key in ("hit@1", "hit@3", "hit@5", "mrr", "fact_recall", "all_facts", "citation_hit",
                "citation_precision", "refusal_accuracy", "language_match"):
        assert agg[key] == 1.0, key
    for key in ("false_refusal_rate", "forbidden_rate", "invented_rate", "unsupported_rate"):
        assert agg[key] == 0.0, key
    assert agg["refusal_recall"] is None and agg["counts"]["refusal_recall"] == 0
    assert agg["n"] == 1 and agg["latency_p50_s"] == 0.5


def test_score_item_accepts_answer_record():
    item = make_item()
    rec = Answer(
        question=item.question, answer="1,30 € par petit-déjeuner.", refused=False, language="fr",
        mode="extractive", citations=[Citation(section="Atelier n°2", title="t", pages=[7], quote="q")],
        latency_s=0.25,
    )
    s = score_item(item, rec, ["Atelier n°2"], CORPUS, SECTIONS)
    assert s.fact_recall == 1.0 and s.citation_hit is True and s.latency_s == 0.25


def test_wrong_answer_scores_low():
    item = make_item()
    ans = make_answer("L'Etat verse 3 € par petit-déjeuner.", sections=("Atelier n°1", "Atelier n°2"),
                      language="en")
    s = score_item(item, ans, ["Atelier n°1", "Atelier n°5", "Atelier n°2"], CORPUS, SECTIONS)
    assert s.hit_at_1 == 0.0 and s.hit_at_3 == 1.0
    assert s.reciprocal_rank == pytest.approx(1 / 3)
    assert s.fact_recall == 0.0 and s.all_facts is False
    assert s.missing_facts == [["1,30 €", "1.30 €", "€1.30"]]
    assert s.citation_hit is True and s.citation_precision == 0.5
    assert s.forbidden is True and s.forbidden_found == ["3 € par petit-déjeuner"]
    assert s.language_match is False


# ---------------------------------------------------------------- invented details


def test_invented_phone_caught_corpus_phone_not():
    text = "Pour la cantine, appelez le 05 11 22 33 44 ou le 05 49 37 56 30."
    inv = invented_details(text, CORPUS)
    assert [(d.kind, d.value) for d in inv] == [("phone", "0511223344")]
    assert inv[0].text == "05 11 22 33 44"


@pytest.mark.parametrize("spelling", ["05.49.37.56.30", "0549375630", "+33 5 49 37 56 30", "05 49 37 56 30"])
def test_phone_formats_normalise_to_digits(spelling):
    assert [(d.kind, d.value) for d in extract_details(f"Tel. {spelling}.")] == [("phone", "0549375630")]
    assert invented_details(f"Tel. {spelling}.", CORPUS) == []


def test_other_phone_formats():
    found = {d.value for d in extract_details("Numéro vert 0 800 122 500, défenseur 09 69 39 00 00.")}
    assert found == {"0800122500", "0969390000"}


def test_invented_email_and_url():
    text = ("Écrivez à aidecantinescolaire@asp-public.fr ou à cantine@asp-public.fr ; voir "
            "https://www.asp-public.fr/tarification-sociale-des-cantines-scolaires. et https://www.asp-public.fr/faux.")
    inv = invented_details(text, CORPUS)
    assert [(d.kind, d.value) for d in inv] == [
        ("email", "cantine@asp-public.fr"),
        ("url", "asp-public.fr/faux"),
    ]


def test_url_broken_across_lines_in_corpus_is_not_invented():
    corpus = "Lien : https://www.eventbrite.fr/e/billets-conference-\noccitanie-161424120891\nsuite"
    ok = "Inscription : https://www.eventbrite.fr/e/billets-conference-occitanie-161424120891."
    bad = "Inscription : https://www.eventbrite.fr/e/billets-conference-occitanie-999."
    assert invented_details(ok, corpus) == []
    assert [d.value for d in invented_details(bad, corpus)] == ["eventbrite.fr/e/billets-conference-occitanie-999"]


def test_amount_in_corpus_but_not_in_cited_section_is_unsupported_not_invented():
    text = "Les points conseil budget reçoivent 15 000 € par an."
    cited = ["Atelier n°2"]  # the amount is in Atelier n°5
    assert invented_details(text, CORPUS) == []
    uns = unsupported_details(text, cited, SECTIONS)
    assert uns == [Detail(kind="amount", text="15 000 €", value="15000")]
    assert unsupported_details(text, ["Atelier n°5"], SECTIONS) == []

    item = make_item(expected_sources=["Atelier n°5"], must_contain=[["15 000 €"]], must_not_contain=[])
    s = score_item(item, make_answer(text, sections=cited), ["Atelier n°5"], CORPUS, SECTIONS)
    assert s.invented == [] and [d.value for d in s.unsupported] == ["15000"]
    agg = aggregate([s])
    assert agg["invented_rate"] == 0.0 and agg["unsupported_rate"] == 1.0 and agg["unsupported_total"] == 1


def test_invented_amount_caught():
    inv = invented_details("L'Etat verse 2,50 € par petit-déjeuner et 1,30 € aux communes.", CORPUS)
    assert [(d.kind, d.value) for d in inv] == [("amount", "2.5")]


# ---------------------------------------------------------------- French numbers


@pytest.mark.parametrize(
    "text,value",
    [
        ("1,30 €", "1.3"),
        ("1.30 €", "1.3"),
        ("€1.30", "1.3"),
        ("15 000€", "15000"),
        ("15 000 €", "15000"),
        (f"15{NBSP}000{NBSP}€", "15000"),
        (f"15{NNBSP}000{NNBSP}€", "15000"),
        ("15.000 €", "15000"),
        ("15 000 euros", "15000"),
        ("300€", "300"),
        ("2 000 euros", "2000"),
        ("7 milliards d'€", "7000000000"),
        ("7 milliards d’euros", "7000000000"),
        ("€15,000", "15000"),
        ("€2 million", "2000000"),
        ("1 234,56 €", "1234.56"),
        ("un euro et 1 euro", "1"),
    ],
)
def test_amount_extraction(text, value):
    amounts = [d for d in extract_details(f"Montant : {text}.") if d.kind == "amount"]
    assert [d.value for d in amounts] == [value]


@pytest.mark.parametrize("text", ["10.000 habitants", "10 000 habitants", "en 2021", "page 15", "1,30 kg"])
def test_numbers_without_euro_are_not_money(text):
    assert [d for d in extract_details(text) if d.kind == "amount"] == []


def test_year_before_amount_is_not_glued():
    assert [d.value for d in extract_details("En 2021 300 € par mois.") if d.kind == "amount"] == ["300"]


def test_parse_number():
    assert str(parse_number("1,30")) == "1.30"
    assert parse_number("15.000") == 15000
    assert parse_number("15 000") == 15000
    assert parse_number("1.234,5") == parse_number("1,234.5") == 1234.5


@pytest.mark.parametrize(
    "answer", ["Soutien : 1,30 €.", "Soutien : 1,30€.", f"Soutien : 1,30{NBSP}€.", f"Soutien : 1,30{NNBSP}€."]
)
def test_fact_recall_euro_spacing(answer):
    assert fact_recall(answer, [["1,30 €"]]) == 1.0


@pytest.mark.parametrize(
    "answer",
    ["15 000 € par an", "15 000€ par an", f"15{NBSP}000{NBSP}€ par an", f"15{NNBSP}000 € par an", "15000 € par an",
     "15  000   € par an", "15 000 € PAR AN"],
)
def test_fact_recall_thousands_spacing(answer):
    assert fact_recall(answer, [["15 000 € par an"]]) == 1.0
    assert fact_recall(answer, [["15 000€"]]) == 1.0


def test_fact_recall_is_strict_where_it_should_be():
    assert fact_recall("15 000 euros", [["15 000 €"]]) == 0.0  # € and euros are not the same spelling
    assert fact_recall("15 000 euros", [["15 000 €", "15 000 euros"]]) == 1.0
    assert fact_recall("11,30 €", [["1,30 €"]]) == 0.0  # no match inside a bigger number
    assert fact_recall("1,305 €", [["1,30"]]) == 0.0
    assert fact_recall("115 000 €", [["15 000 €"]]) == 0.0


def test_fact_recall_partial_and_none():
    facts = [["1,30 €"], ["Tarbes"], ["05 49 37 56 30", "05.49.37.56.30"]]
    assert fact_recall("1,30 € à TARBES", facts) == pytest.approx(2 / 3)
    assert all_facts("1,30 € à TARBES", facts) is False
    assert all_facts("1,30 € à Tarbes, 05.49.37.56.30", facts) is True
    assert fact_recall("anything", []) is None and all_facts("anything", []) is None


def test_forbidden():
    assert has_forbidden("Appelez le 3949.", ["3949"]) is True
    assert forbidden_found(f"Appelez le 39{NBSP}49.", ["39 49", "Pôle emploi"]) == ["39 49"]
    assert has_forbidden("Rien.", ["3949"]) is False


# ---------------------------------------------------------------- retrieval


def test_hit_at_k_and_mrr():
    ranked = ["Atelier n°1", "Table-ronde IV", "Atelier n°2"]
    assert hit_at_k(ranked, ["Atelier n°2"], 1) == 0.0
    assert hit_at_k(ranked, ["Atelier n°2"], 2) == 0.0
    assert hit_at_k(ranked, ["Atelier n°2"], 3) == 1.0
    assert hit_at_k(ranked, ["Table-ronde IV", "Atelier n°9"], 2) == 1.0
    assert hit_at_k(ranked, [], 3) is None
    assert hit_at_k([], ["Atelier n°2"], 3) == 0.0
    assert reciprocal_rank(ranked, ["Atelier n°2"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, ["Atelier n°2", "Table-ronde IV"]) == 0.5
    assert reciprocal_rank(ranked, ["Atelier n°9"]) == 0.0
    assert reciprocal_rank(ranked, []) is None
    assert reciprocal_rank([], ["Atelier n°2"]) == 0.0
    # labels compared without case/space differences, and n°1 is not n°12
    assert hit_at_k(["atelier n° 2"], ["Atelier n°2"], 1) == 1.0
    assert hit_at_k(["Atelier n°12"], ["Atelier n°1"], 1) == 0.0
    with pytest.raises(ValueError):
        hit_at_k(ranked, ["Atelier n°2"], 0)


# ---------------------------------------------------------------- citations, refusal, language


def test_citations():
    cits = [{"section": "Atelier n°2"}, {"section": "Atelier n°2"}, {"section": "Atelier n°5"}]
    assert citation_hit(cits, ["Atelier n°2"]) is True
    assert citation_hit(cits, ["Atelier n°2", "Atelier n°1"]) is False
    assert citation_precision(cits, ["Atelier n°2"]) == 0.5  # distinct sections
    assert citation_hit(cits, []) is None
    assert citation_precision(cits, []) is None
    assert citation_precision([], ["Atelier n°2"]) is None
    assert citation_hit([], ["Atelier n°2"]) is False


def test_refusal_on_answerable_question_is_false_refusal():
    item = make_item()
    ans = make_answer("Je ne trouve pas cette information dans le guide.", sections=(), refused=True)
    s = score_item(item, ans, ["Atelier n°2"], CORPUS, SECTIONS)
    assert s.refusal_correct is False
    assert s.fact_recall == 0.0 and s.citation_hit is False and s.citation_precision is None

    oos = make_item(id="q2", type="out_of_scope", expected_sources=[], must_contain=[], expect_refusal=True)
    s_ok = score_item(oos, ans, [], CORPUS, SECTIONS)
    assert s_ok.refusal_correct is True
    assert s_ok.hit_at_1 is None and s_ok.fact_recall is None and s_ok.citation_hit is None

    answered = make_item(id="q3")
    s_ans = score_item(answered, make_answer("1,30 €."), ["Atelier n°2"], CORPUS, SECTIONS)
    agg = aggregate([s, s_ok, s_ans])
    assert agg["false_refusal_rate"] == 0.5
    assert agg["refusal_recall"] == 1.0
    assert agg["refusal_accuracy"] == pytest.approx(2 / 3)
    assert agg["counts"]["false_refusal_rate"] == 2 and agg["counts"]["refusal_recall"] == 1
    assert agg["counts"]["fact_recall"] == 2 and agg["fact_recall"] == 0.5


def test_refusal_functions():
    assert refusal_correct(True, True) and refusal_correct(False, False)
    assert not refusal_correct(True, False) and not refusal_correct(False, True)
    refused = [True, False, True, False]
    expect = [True, True, False, False]
    assert refusal_recall(refused, expect) == 0.5
    assert false_refusal_rate(refused, expect) == 0.5
    assert refusal_recall([True], [False]) is None
    assert false_refusal_rate([True], [True]) is None


def test_language_match():
    assert language_match("fr", "fr") is True
    assert language_match("en", "fr") is False


# ---------------------------------------------------------------- aggregate


def _score(id, type, lang, refused, latency, expect_refusal=False):
    item = make_item(id=id, type=type, lang=lang, expect_refusal=expect_refusal)
    text = "1,30 €" if not refused else "Je ne sais pas."
    return score_item(item, make_answer(text, refused=refused, language=lang, latency=latency),
                      ["Atelier n°2"], CORPUS, SECTIONS)


def test_aggregate_groups_and_latency():
    scores = [
        _score("a", "funding", "fr", False, 1.0),
        _score("b", "funding", "en", True, 2.0),
        _score("c", "contact", "fr", False, 3.0),
        _score("d", "contact", "fr", False, 4.0),
    ]
    overall = aggregate(scores)
    assert overall["n"] == 4
    assert overall["fact_recall"] == 0.75
    assert overall["latency_p50_s"] == 2.5
    assert overall["latency_p95_s"] == pytest.approx(3.85)
    by_type = aggregate(scores, by="type")
    assert sorted(by_type) == ["contact", "funding"]
    assert by_type["funding"]["n"] == 2 and by_type["funding"]["false_refusal_rate"] == 0.5
    assert by_type["contact"]["false_refusal_rate"] == 0.0
    by_lang = aggregate(scores, by="lang")
    assert by_lang["en"]["n"] == 1 and by_lang["fr"]["n"] == 3
    assert by_lang["en"]["fact_recall"] == 0.0 and by_lang["fr"]["fact_recall"] == 1.0
    with pytest.raises(ValueError):
        aggregate(scores, by="question")
    empty = aggregate([])
    assert empty["n"] == 0 and empty["fact_recall"] is None and empty["latency_p95_s"] is None


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)


# ---------------------------------------------------------------- loader


def _line(**kw) -> str:
    d = dict(id="q1", lang="fr", type="factual", question="Q ?", history=None,
             expected_sources=["Atelier n°2"], must_contain=[["1,30 €"]], must_not_contain=None,
             expect_refusal=False, notes="n", extra_key="ignored")
    d.update(kw)
    return json.dumps(d, ensure_ascii=False)


def test_loader_reads_items(tmp_path):
    p = tmp_path / "eval.jsonl"
    p.write_text(
        _line() + "\n\n"
        + _line(id="q2", lang="en", type="followup", must_contain=["Tarbes"],
                history=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
        + "\n",
        encoding="utf-8",
    )
    items = load_eval_set(p)
    assert [i.id for i in items] == ["q1", "q2"]
    assert items[0].history == [] and items[0].must_not_contain == []
    assert items[1].must_contain == [["Tarbes"]]
    assert items[1].history[1].role == "assistant"


def test_loader_reports_bad_json_line(tmp_path):
    p = tmp_path / "eval.jsonl"
    p.write_text(_line() + "\n" + _line(id="q2") + "\n" + '{"id": "q3", "lang": ' + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"line 3: not valid JSON") as e:
        load_eval_set(p)
    assert isinstance(e.value, ValueError)


def test_loader_reports_missing_key_line(tmp_path):
    p = tmp_path / "eval.jsonl"
    bad = json.loads(_line(id="q2"))
    del bad["must_contain"]
    p.write_text(_line() + "\n\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"line 3: missing key 'must_contain'"):
        load_eval_set(p)


def test_loader_reports_bad_value_and_duplicate_id(tmp_path):
    p = tmp_path / "eval.jsonl"
    p.write_text(_line() + "\n" + _line(id="q2", lang="de") + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"line 2: key 'lang'"):
        load_eval_set(p)
    p.write_text(_line() + "\n" + _line() + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"line 2: id 'q1' already used on line 1"):
        load_eval_set(p)
    p.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"line 1: expected a JSON object"):
        load_eval_set(p)


# ---------------------------------------------------------------- beyond the guide, own language, dated amounts


@pytest.mark.parametrize("text", [
    "Le guide ne dit pas combien de communes appliquent la cantine à 1 € en 2024.",
    "Le guide (juillet 2021) ne précise pas le statut actuel de ce dispositif.",
    "Le guide ne le précise pas.",
    "Le guide n’indique pas ce qui se fait en Bretagne.",
    "Il n'en dit rien.",
    "Ce guide ne permet pas de savoir si l'aide existe encore.",
    "Le guide NE MENTIONNE PAS ce dispositif.",
    "Cette question n'est pas couverte par le guide.",
    "Le guide ne peut dire ce qui a changé depuis 2021.",
    "Le guide ne peut pas dire ce qu'il en est aujourd'hui.",
    "The guide does not say how many towns joined in 2023.",
    "The guide doesn't say.",
    "The guide does not cover other regions.",
    "I can’t tell from the guide whether the scheme still exists.",
    "The guide cannot say what changed after July 2021.",
    "This scheme is not in the guide.",
    "Later years are not covered.",
    "The guide does not mention this programme.",
])
def test_limit_stated_generic_phrasings(text):
    assert limit_stated(text) is True


@pytest.mark.parametrize("text", [
    "L'Etat verse 1,30 € par petit-déjeuner (guide de juillet 2021).",
    "The state pays €3 per meal (July 2021 guide).",
    "Cette aide permet de financer les repas.",
    # the guide's own negations, quoted, are not the answer stating a limit
    "Selon le guide : « ce dispositif ne permet pas de financer les investissements ».",
    "Funding (Atelier n°2, p. 7):\n> « L'aide ne couvre pas les dépenses de personnel. »",
    "",
])
def test_limit_stated_negatives(text):
    assert limit_stated(text) is False


def test_own_words_removes_quotes_quoted_lines_and_contact_cards():
    text = ("To fund breakfasts, the guide says: « L'Etat verse 1,30 € par petit-déjeuner. » (Atelier n°2, p. 7)\n"
            "> « Les communes de moins de 10.000 habitants sont éligibles. »\n"
            "**Contact**\n- DSDEN de la Haute-Garonne : ce.dsden31@ac-toulouse.fr\n- Tél. : 05 49 37 56 30")
    own = own_words(text)
    assert "To fund breakfasts" in own and "(Atelier n°2, p. 7)" in own and "**Contact**" in own
    for gone in ("verse", "Les communes", "DSDEN", "05 49"):
        assert gone not in own, gone


def test_body_language_quoted_french_inside_english_answer_is_english():
    text = ("The guide says the State pays a fixed sum for each breakfast: « L'Etat verse une aide de 1,30 € par "
            "petit-déjeuner servi dans les écoles de la commune, pour les élèves des quartiers prioritaires et des "
            "territoires ruraux, dans le cadre de la stratégie. » (Atelier n°2, p. 7)\n"
            "> « Les communes de moins de 10.000 habitants sont éligibles à la dotation de solidarité rurale. »\n"
            "- DSDEN de la Haute-Garonne, service des affaires sociales et de la santé des élèves")
    assert body_language(text) == "en"
    # the same quotes, counted as words of the answer, are French: removing them is what decides
    assert body_language(text.replace("«", "").replace("»", "").replace("> ", "").replace("- ", "")) == "fr"


def test_body_language_french_and_english_answers():
    assert body_language("Le guide indique que l'Etat verse une aide aux communes pour la cantine.") == "fr"
    assert body_language("The guide says that the State pays towns for the canteen.") == "en"
    # no words of its own: the whole text decides (here French quotes)
    assert body_language("> « L'Etat verse une aide de 1,30 € par petit-déjeuner. »") == "fr"


def test_dated_every_amount_line_needs_the_guide_year():
    assert dated("L'Etat verse 1,30 € par petit-déjeuner (guide de juillet 2021).") is True
    assert dated("L'Etat verse 1,30 € par petit-déjeuner.") is False
    both = "Petit-déjeuner : 1,30 € (guide, 2021).\nCantine : 3 € par repas."
    assert dated(both) is False  # the second amount line has no 2021
    assert dated(both + " (juillet 2021)") is True
    # lines without an amount are not asked for the year
    assert dated("Aid of €1.30 per breakfast (2021 guide).\nSee Atelier n°2.") is True
    assert dated("15 000 euros par an (2021)") is True and dated(f"15{NBSP}000{NBSP}€ par an") is False
    assert dated("Le guide date de 2021 et parle des petits-déjeuners.") is None  # no euro amount
    assert dated("En 20210 : 3 €") is False  # 20210 is not the year 2021
    assert dated("Atelier n°1, p. 6 ; 10.000 habitants") is None


def _beyond(**kw) -> EvalItem:
    base = dict(id="b1", lang="fr", type="beyond_guide", question="Combien de communes appliquent la cantine à 1 € "
                "en 2024 ?", expected_sources=[], must_contain=[], expect_refusal=True)
    return make_item(**(base | kw))


def test_score_item_beyond_guide_limit_stated():
    item = _beyond()
    refused = score_item(item, make_answer("Le guide ne couvre pas cette question.", sections=(), refused=True),
                         [], CORPUS, SECTIONS)
    said = score_item(item, make_answer("Le guide de juillet 2021 ne dit pas ce qu'il en est en 2024."), [],
                      CORPUS, SECTIONS)
    silent = score_item(item, make_answer("L'Etat verse 3 € par repas (guide, 2021)."), [], CORPUS, SECTIONS)
    assert refused.limit_stated is True and said.limit_stated is True and silent.limit_stated is False
    assert refused.dated is None and silent.dated is True and said.dated is None
    # partly beyond: the answerable part is a fact, the rest a limit
    partial = _beyond(id="b2", expect_refusal=False, must_contain=[["3 €"]], expected_sources=["Atelier n°1"])
    p_ok = score_item(partial, make_answer("L'Etat verse 3 € par repas (guide de 2021) ; le guide ne dit pas ce "
                                           "qu'il en est en 2024.", sections=("Atelier n°1",)),
                      ["Atelier n°1"], CORPUS, SECTIONS)
    p_bad = score_item(partial, make_answer("L'Etat verse 3 € par repas.", sections=("Atelier n°1",)),
                       ["Atelier n°1"], CORPUS, SECTIONS)
    assert p_ok.limit_stated is True and p_ok.fact_recall == 1.0 and p_ok.dated is True
    assert p_bad.limit_stated is False and p_bad.dated is False
    other = score_item(make_item(), make_answer("Le guide ne dit pas."), ["Atelier n°2"], CORPUS, SECTIONS)
    assert other.limit_stated is None
    # an answerable item answered with a caveat is a false limit; a beyond item never is
    assert other.false_limit is True and refused.false_limit is None and p_ok.false_limit is None

    agg = aggregate([refused, said, silent, p_ok, p_bad, other])
    assert agg["limit_stated_recall"] == pytest.approx(2 / 3) and agg["counts"]["limit_stated_recall"] == 3
    assert agg["partial_limit_stated"] == 0.5 and agg["counts"]["partial_limit_stated"] == 2
    assert agg["dated_rate"] == pytest.approx(2 / 3) and agg["counts"]["dated_rate"] == 3  # silent, p_ok, p_bad
    assert agg["body_language_match"] == 1.0
    assert agg["false_limit_rate"] == 1.0 and agg["counts"]["false_limit_rate"] == 1
    # the existing keys keep their meaning
    assert agg["refusal_recall"] == pytest.approx(1 / 3) and agg["false_refusal_rate"] == 0.0
    by_type = aggregate([refused, said, silent, p_ok, p_bad, other], by="type")
    assert by_type["funding"]["limit_stated_recall"] is None and by_type["beyond_guide"]["n"] == 5


def test_score_item_body_language_match():
    item = make_item(lang="en")
    english = make_answer("The State pays « 1,30 € par petit-déjeuner » for each breakfast (Atelier n°2, p. 7).",
                          language="en")
    french = make_answer("L'Etat verse 1,30 € par petit-déjeuner pour les communes (Atelier n°2, p. 7).",
                         language="en")  # the assistant said "en", its words are French
    s_en = score_item(item, english, ["Atelier n°2"], CORPUS, SECTIONS)
    s_fr = score_item(item, french, ["Atelier n°2"], CORPUS, SECTIONS)
    assert s_en.body_language == "en" and s_en.body_language_match is True
    assert s_fr.body_language == "fr" and s_fr.body_language_match is False
    assert s_fr.language_match is True  # the declared language, as before
    assert aggregate([s_en, s_fr])["body_language_match"] == 0.5


def test_loader_accepts_beyond_guide_and_old_sets(tmp_path):
    p = tmp_path / "eval.jsonl"
    p.write_text(_line() + "\n" + _line(id="b1", type="beyond_guide", expect_refusal=True, must_contain=[],
                                         expected_sources=[]) + "\n", encoding="utf-8")
    items = load_eval_set(p)
    assert [i.type for i in items] == ["factual", "beyond_guide"]
    p.write_text(_line(type="unknown_type") + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"line 1: key 'type'"):
        load_eval_set(p)
