"""Record questions on the real guide: lists and counts over the whole guide answered from the
section records, exhaustively, each item cited (issue 13). The expected values are read from
the PDF's own text with pypdf and loose patterns (another reader than ingest's), so a phone
number, an e-mail or a workshop the records missed fails here."""

from __future__ import annotations

import re

import pypdf
import pytest

from guide_assistant.assistant.records_query import RecordFilter
from guide_assistant.eval.metrics import dated
from guide_assistant.records import Turn
from conftest import GUIDE


def cited(answer) -> list[str]:
    return list(dict.fromkeys(c.section for c in answer.citations))


@pytest.fixture(scope="module")
def pdf_text() -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(GUIDE).pages)


@pytest.fixture(scope="module")
def records(corpus) -> RecordFilter:
    return RecordFilter(corpus.sections, lexical=None)


def pdf_phones(text: str) -> list[str]:
    """French phone numbers as the PDF prints them: ten digits from a 0, any spacing."""
    return list(dict.fromkeys(re.findall(r"(?<!\d)0(?:[ \u00a0\u202f.]?\d){9}(?!\d)", text)))


def page_of(text: str, value: str) -> int:
    """1-based page of the PDF printing `value`."""
    pages = [p.extract_text() for p in pypdf.PdfReader(GUIDE).pages]
    return next(n for n, p in enumerate(pages, start=1) if value in p)


def test_every_phone_number_of_the_guide_is_listed_with_its_section(assistant, sections, pdf_text):
    phones = pdf_phones(pdf_text)
    assert len(phones) == 4
    a = assistant.ask("Donne-moi tous les numéros de téléphone du guide")
    assert a.refused is False
    assert a.answer.startswith("Le guide compte 4 numéros de téléphone :")
    lines = [x for x in a.answer.split("\n") if x.startswith("- ")]
    assert len(lines) == len(phones)
    owners = {"05 34 45 36 39": "Informations pratiques", "05 49 37 56 30": "Atelier n°1",
              "0 800 122 500": "Atelier n°4", "09 69 39 00 00": "Atelier n°10"}
    assert set(owners) == set(phones)
    for phone, label in owners.items():
        line = next(x for x in lines if phone in x)
        assert f"— {label}" in line and f"p. {page_of(pdf_text, phone)}" in line
        citation = next(c for c in a.citations if phone in c.quote)
        assert citation.section == label and phone in sections[label].text
    assert cited(a) == list(owners.values())  # the guide's order


def test_english_all_phone_numbers(assistant, pdf_text):
    a = assistant.ask("What are all the phone numbers in the guide?")
    assert a.language == "en" and a.answer.startswith("The guide has 4 phone numbers")
    assert all(phone in a.answer for phone in pdf_phones(pdf_text))


def test_every_e_mail_address_is_listed(assistant, pdf_text):
    emails = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", pdf_text))
    assert len(emails) == 2
    a = assistant.ask("Tous les e-mails de contact du guide")
    assert a.answer.startswith("Le guide compte 2 adresses e-mail")
    assert all(e in a.answer for e in emails)
    assert set(cited(a)) == {"Atelier n°1", "Contact"}


def test_the_workshop_count_is_exact(assistant, pdf_text):
    numbers = {int(n) for n in re.findall(r"Atelier\s+n\s*°\s*(\d+)", pdf_text)}
    assert numbers == set(range(1, 19))
    a = assistant.ask("combien d'ateliers y a-t-il ?")
    assert a.answer.startswith(f"Le guide compte {len(numbers)} ateliers et 1 atelier partenaire :")
    assert cited(a) == [s for s in cited(a) if s.startswith("Atelier")]
    assert set(cited(a)) == {f"Atelier n°{n}" for n in numbers} | {"Atelier partenaire"}
    assert len([x for x in a.answer.split("\n") if x.startswith("- ")]) == len(numbers) + 1


def test_the_round_tables_are_counted_in_english(assistant, pdf_text):
    romans = set(re.findall(r"Table[- ]?[Rr]onde\s+(I{1,3}|IV)\b", pdf_text))
    a = assistant.ask("How many round tables are there?")
    assert a.answer.startswith(f"The guide has {len(romans)} round tables")
    assert cited(a) == [f"Table-ronde {r}" for r in ("I", "II", "III", "IV")]
    b = assistant.ask("Combien de tables rondes compte la conférence ?")  # the conference the guide describes
    assert b.answer.startswith(f"Le guide compte {len(romans)} tables rondes")


def test_workshops_and_round_tables_together(assistant):
    a = assistant.ask("Combien d'ateliers et de tables rondes compte le guide ?")
    assert a.answer.startswith("Le guide compte 18 ateliers, 1 atelier partenaire et 4 tables rondes :")
    assert len(cited(a)) == 23


def test_the_workshops_of_a_department(assistant, sections):
    a = assistant.ask("quels ateliers se tiennent dans l'Hérault ?")
    expected = [label for label, s in sections.items() if "Hérault" in s.place and s.kind == "atelier"]
    assert expected == ["Atelier n°3", "Atelier n°8", "Atelier n°11"]
    assert a.answer.startswith("Le guide compte 3 ateliers (lieu : Hérault) :")
    assert cited(a) == expected


def test_a_department_with_a_round_table_only(assistant):
    a = assistant.ask("Which workshops are held in the Gers?")
    assert a.answer.startswith("The guide has no workshop (place: Gers).")
    assert cited(a) == ["Table-ronde IV"] and "Auch, Gers" in a.answer


def test_workshops_with_a_contact_at_an_organisation(assistant):
    a = assistant.ask("which workshops have a contact at a DDETS?")
    assert a.answer.startswith("The guide has 2 workshops (with a contact « DDETS »)")
    assert cited(a) == ["Atelier n°8", "Atelier n°13"]
    assert "DDETS-66" in a.answer  # the speaker's line of Atelier n°13, quoted


def test_workshops_mentioning_a_name_and_the_round_tables_too(assistant, sections):
    a = assistant.ask("which workshops mention the CAF?")
    printing = [label for label, s in sections.items() if re.search(r"\bCAF\d*\b", s.text, re.I)]
    assert a.answer.startswith("The guide has 1 workshop (mentioning « CAF »)")
    assert set(cited(a)) == set(printing) == {"Atelier n°3", "Table-ronde I", "Table-ronde IV"}
    assert "Besides workshops, the guide also has 2 round tables" in a.answer


def test_workshops_by_amount(assistant):
    a = assistant.ask("Which workshops offer more than €1,000?")
    assert a.answer.startswith("The guide has 1 workshop and 1 partner workshop (amount: more than 1,000)")
    assert "€1,000" not in a.answer  # no amount the guide does not print
    assert cited(a) == ["Atelier n°8", "Atelier partenaire", "Table-ronde II"]  # the round table: 7 milliards d'€
    assert "15 000€" in a.answer and "15 000 euros" in a.answer and "7 milliards d'€" in a.answer


def test_every_amount_is_listed_and_dated(assistant, sections):
    a = assistant.ask("Quels sont tous les montants du guide ?")
    amounts = [x for s in sections.values() for f in s.funding for x in f.amounts]
    assert a.answer.startswith(f"Le guide compte {len(amounts)} montants en euros :")
    assert all(x in a.answer for x in amounts)
    assert dated(a.answer, a.question)  # the eval's check: each line stating an amount gives 2021


def test_a_place_outside_the_region_gets_none_and_the_limit(assistant):
    a = assistant.ask("Combien d'ateliers se tiennent en Bretagne ?")
    assert a.refused is False
    assert "Le guide ne compte aucun atelier (lieu : Bretagne)." in a.answer
    assert "région Occitanie" in a.answer and a.citations == []


@pytest.mark.parametrize("question", [
    "quel est le numéro de l'ASP ?",
    "combien l'État verse-t-il par petit-déjeuner ?",
    "How many young people left school without a job or training in Occitanie?",
    "quels ateliers parlent des jeunes ?",
    "Combien de numéros verts le guide donne-t-il ?",
    "What time does the second round of workshops start and finish?",
    "Quels ateliers ou tables-rondes font intervenir la CAF ?",
])
def test_ordinary_questions_are_no_record_questions(records, question):
    assert records.query(question) is None


def test_a_follow_up_without_all_stays_in_its_thread(records, assistant):
    assert records.query("Quels sont les numéros ?", follow_up=True) is None
    assert records.query("Quels sont tous les numéros du guide ?", follow_up=True) is not None
    history = [Turn(role="user", content="Parle-moi de la cantine à 1 €"),
               Turn(role="assistant", content="Atelier n°1 : l'ASP instruit les dossiers.")]
    a = assistant.ask("Quels sont les numéros ?", history)
    assert "records" not in a.debug and cited(a)[0] == "Atelier n°1"


def test_a_record_answer_keeps_the_public_shape(assistant):
    public = assistant.ask("liste des tables rondes").to_public("r1")
    assert set(public) == {"id", "question", "answer", "refused", "language", "mode", "citations", "latency_s"}
    assert all(set(c) == {"section", "title", "pages", "quote"} for c in public["citations"])
