"""One definition of a checkable detail (guide_assistant/details.py): the section records of the
real guide and the answer checks read the same phones, e-mails, URLs and amounts with the same
values; amounts in every spelling (decimal marks, multipliers, any thousands space); synthetic
sentences go through ingest's text-level functions (facts.funding, facts.contacts)."""

from __future__ import annotations

import pytest

from guide_assistant.assistant.answer import amount_warning
from guide_assistant.details import amount_value, extract_details, parse_number, phone_value
from guide_assistant.ingest import facts
from guide_assistant.records import Section

NBSP, NNBSP = "\u00a0", "\u202f"


def values(text: str, kind: str) -> list[str]:
    return [d.value for d in extract_details(text) if d.kind == kind]


def test_every_record_contact_is_read_with_the_same_value_by_the_answer_check(corpus):
    checked = 0
    for section in corpus.sections:
        for c in section.contacts:
            if c.kind == "organisation":
                continue
            [value] = values(c.value, c.kind)  # the record's value is one detail of its kind…
            assert value in values(c.context, c.kind), (section.label, c.value)  # …found in its sentence
            checked += 1
    assert checked >= 10


def test_every_record_amount_is_read_whole_with_the_same_value_by_the_answer_check(corpus):
    checked = 0
    for section in corpus.sections:
        for f in section.funding:
            in_sentence = values(f.sentence, "amount")
            for printed in f.amounts:
                [value] = values(printed, "amount")
                assert value in in_sentence, (section.label, printed, f.sentence)
                assert str(amount_value(printed)) == str(float(value))
                checked += 1
            # every amount the answer check reads in the sentence is one the record keeps
            assert sorted(in_sentence) == sorted({v for p in f.amounts for v in values(p, "amount")})
    assert checked >= 8  # the guide prints 8 amounts in its funding sentences


def test_record_phones_normalise_to_ten_digits(corpus):
    phones = [c.value for s in corpus.sections for c in s.contacts if c.kind == "phone"]
    assert phones and all(len(phone_value(p)) == 10 for p in phones)


@pytest.mark.parametrize("text", ["€1.30", "1,30 €", "1.30 €", "1,30€", f"1,30{NNBSP}€", "EUR 1.30", "1,30 euro"])
def test_one_value_for_every_spelling_of_1_30(text):
    assert amount_value(text) == 1.3
    assert values(f"L'État verse {text} par repas.", "amount") == ["1.3"]


@pytest.mark.parametrize("text, euros", [
    ("7 milliards d'€", 7e9), ("7 milliards d’€", 7e9), ("7 milliards d'euros", 7e9), ("€2 million", 2e6),
    ("3 M€", 3e6), ("15 k€", 15e3), ("10.000 €", 1e4), ("15 000€", 15e3), (f"15{NBSP}000{NBSP}€", 15e3),
    (f"1{NNBSP}250,50{NNBSP}€", 1250.5), ("€15,000", 15e3), ("1 234,56 €", 1234.56),
])
def test_amount_value_in_euros(text, euros):
    assert amount_value(text) == euros


def test_bare_numbers_are_no_amount_but_parse_with_either_decimal_mark():
    assert amount_value("1.30") is None and amount_value("10.000 habitants") is None
    assert parse_number("1.30") == parse_number("1,30") == parse_number("€1.30".strip("€"))
    assert float(parse_number("1.30")) == 1.3 and parse_number("10.000") == 10000
    with pytest.raises(ValueError):
        parse_number("un euro")


@pytest.mark.parametrize("space", [" ", NBSP, NNBSP])
def test_thousands_kept_whole_in_the_records(space):
    sentence = f"Le fonds verse 1{space}250,50 € par famille et 15{space}000 € par structure."
    [funding] = facts.funding([sentence])
    assert funding.amounts == [f"1{space}250,50 €", f"15{space}000 €"]
    assert [amount_value(a) for a in funding.amounts] == [1250.5, 15000.0]


def test_narrow_space_amount_quoted_right_is_not_corrected():
    sentence = f"Chaque point conseil reçoit 15{NNBSP}000 € par an."
    section = Section(source="synthetic.pdf", label="Atelier n°5", title="Points conseil", kind="atelier",
                      pages=[1], funding=facts.funding([sentence]), text=sentence)
    assert amount_warning("Est-ce vrai qu'un point conseil reçoit 15 000 € ?", section, "fr", None) == ""
    assert "15" in amount_warning("Est-ce vrai qu'un point conseil reçoit 20 000 € ?", section, "fr", None)


def test_contacts_of_a_sentence_are_copied_as_printed():
    sentence = f"Contact : 05{NBSP}49 37 56 30, cantine@asp-public.fr, voir https://www.asp-public.fr/cantine."
    found = [(c.kind, c.value) for c in facts.contacts([sentence])]
    assert found == [("phone", f"05{NBSP}49 37 56 30"), ("email", "cantine@asp-public.fr"),
                     ("url", "https://www.asp-public.fr/cantine"), ("organisation", sentence)]
    assert values(found[0][1], "phone") == ["0549375630"]
