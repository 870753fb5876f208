"""Evaluation metrics on hand-made answers (no model, no index)."""

from __future__ import annotations

import json

import pytest

from guide_assistant.eval.metrics import (
    Detail,
    EvalItem,
    EvalSetError,
    ItemScore,
    aggregate,
    all_facts,
    citation_hit,
    citation_precision,
    extract_details,
    fact_recall,
    false_refusal_rate,
    forbidden_found,
    has_forbidden,
    hit_at_k,
    invented_details,
    language_match,
    load_eval_set,
    parse_number,
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
