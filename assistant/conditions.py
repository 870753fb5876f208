"""Numeric conditions of the guide ("communes rurales de moins de 10.000 habitants", "jeunes de
16 à 18 ans") checked against what a question says ("my town of 15 000 people", "mon fils a 20
ans"), so that an eligibility answer can say "no" when a stated figure falls outside a condition.

Only "no" is ever concluded: one condition failed settles it, while "yes" would need every
condition the guide states (rurality, DSR eligibility…) checked, which a quoted figure cannot do.
The cues are French and English grammar of bounds and units; the figures are the guide's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from guide_assistant.details import INTEGER, parse_number

# The quantities a condition bounds, and how a question writes them: a commune's population, a
# person's age.
_UNITS = {"inhabitants": r"habitants|inhabitants|r[ée]sidents|residents|people|personnes|[âa]mes",
          "years": r"ans|years?(?: old)?|an"}
_UNIT = "|".join(_UNITS.values())
_QUANTITY = re.compile(rf"(?<![\d.,])(?P<n>{INTEGER})\s?(?P<unit>{_UNIT})\b", re.I)
_UPPER = r"moins de|au plus|jusqu'[àa]|inf[ée]rieure? [àa]|under|fewer than|less than|at most|up to|below"
_LOWER = r"plus de|au moins|sup[ée]rieure? [àa]|over|more than|at least|above"
_BOUND = re.compile(rf"\b(?:(?P<upper>{_UPPER})|(?P<lower>{_LOWER}))\s+(?P<n>{INTEGER})\s?(?P<unit>{_UNIT})\b"
                    rf"|\b(?:de|from|between) (?P<lo>{INTEGER}) (?:[àa]|to|and) (?P<hi>{INTEGER})\s?(?P<unit2>{_UNIT})\b", re.I)
# Ages as the guide writes who a scheme is for: one age after a noun of people ("jeunes de 18
# ans", "18-year-olds"), a range ("16-18 ans", "12 à 25 ans", "15 to 17 year olds") or a lowest
# age ("dès 18 ans"). Not a bare "de 3 ans", which is as often a duration ("conventions de 3 ans").
_PEOPLE = (r"jeunes|enfants|adolescents|mineurs|[ée]l[èe]ves|personnes|adultes|femmes|hommes|filles|gar[çc]ons|"
           r"young people|children|pupils|teenagers|people|adults")
_AGE = re.compile(rf"\b(?:(?:{_PEOPLE})(?: [âa]g[ée]e?s)? de|aged) (?P<n>\d{{1,3}}) ?(?:ans|years?(?: old)?)\b"
                  rf"|\b(?P<n2>\d{{1,3}})[- ]years?[- ]olds?\b"
                  rf"|\b(?P<lo>\d{{1,3}}) ?(?:[-–]|to|[àa]) ?(?P<hi>\d{{1,3}}) ?(?:ans|[- ]years?(?:[- ]olds?)?)\b"
                  rf"|\b(?:d[èe]s|[àa] partir de|from the age of|from age) (?P<from>\d{{1,3}}) ?(?:ans|years?)?\b", re.I)
# A person's age as a question states it ("mon fils a 17 ans", "she is 19 years old"), not a
# duration ("sur 3 ans", "il y a 10 ans", "for 3 years").
_HAS_AGE = re.compile(r"(?<!\by )\b(?:a|ai|as|ont|is|am|are|was|turned|turns)\s+(?P<age>(?P<n>\d{1,3})\s?(?:ans|years? old))\b",
                      re.I)


@dataclass(frozen=True)
class Bound:
    """A condition on a quantity as the guide writes it: `unit` ("inhabitants" or "years"),
    inclusive `low`/`high` (None: open), and the words that state it ("moins de 10.000 habitants")."""

    unit: str
    low: Decimal | None
    high: Decimal | None
    text: str

    def excludes(self, value: Decimal) -> bool:
        return (self.low is not None and value < self.low) or (self.high is not None and value > self.high)

    def overlaps(self, other: "Bound") -> bool:
        """Some value lies within both bounds (open ends reach infinity)."""
        return not ((self.high is not None and other.low is not None and other.low > self.high)
                    or (self.low is not None and other.high is not None and other.high < self.low))


def _unit(m: re.Match) -> str:
    written = m.group("unit") or m.group("unit2")
    return next(u for u, p in _UNITS.items() if re.fullmatch(p, written, re.I))


def bounds(sentence: str) -> list[Bound]:
    """The bounds a sentence states ("moins de 10.000 habitants": high 9 999; "de 16 à 18 ans":
    16-18). A strict bound ("moins de", "plus de") is read on whole units."""
    out = []
    for m in _BOUND.finditer(sentence):
        if m.group("lo"):
            out.append(Bound(_unit(m), parse_number(m.group("lo")), parse_number(m.group("hi")), m.group()))
            continue
        n = parse_number(m.group("n"))
        strict = re.match(r"moins|plus|under|fewer|less|over|more|below|above|inf|sup", m.group(), re.I)
        step = 1 if strict else 0
        low, high = (None, n - step) if m.group("upper") else (n + step, None)
        out.append(Bound(_unit(m), low, high, m.group()))
    return out


def age_bounds(text: str) -> list[Bound]:
    """The ages `text` bounds: its `bounds` in years and the ages it says something is for
    ("jeunes de 18 ans": 18-18; "12-25 ans": 12-25; "dès 18 ans": 18 and over)."""
    taken = [m.span() for m in _BOUND.finditer(text)]
    return [b for b in bounds(text) if b.unit == "years"] + \
        [b for m, b in _ages(text) if not any(a <= m.start() < z for a, z in taken)]


def _ages(text: str) -> list[tuple[re.Match, Bound]]:
    """The ages `text` states as who something is for (see `_AGE`), each as a Bound in years."""
    out = []
    for m in _AGE.finditer(text):
        if m.group("lo"):
            low, high = Decimal(m.group("lo")), Decimal(m.group("hi"))
        elif m.group("from"):
            low, high = Decimal(m.group("from")), None
        else:
            low = high = Decimal(m.group("n") or m.group("n2"))
        out.append((m, Bound("years", low, high, m.group().strip())))
    return out


def stated(question: str) -> list[tuple[str, Decimal, str]]:
    """(unit, value, as written) of each population or age the question states and does not
    itself bound ("15 000 habitants", "20 years old"; not "moins de 10 000 habitants", nor the
    range "16-18 year olds")."""
    bound_spans = [m.span() for m in _BOUND.finditer(question)]
    return [(_unit(m), parse_number(m.group("n")), m.group()) for m in _QUANTITY.finditer(question)
            if not any(a <= m.start() < b for a, b in bound_spans)
            and not re.search(r"\d\s?(?:-|–|à|to)\s?$", question[: m.start()])]  # "16-18 year olds" is a range


def failed(question: str, sentence: str) -> list[tuple[Bound, str]]:
    """Each condition of `sentence` that a figure of `question` falls outside, with that figure
    as written: [(moins de 10.000 habitants, "15000 people")] for "Is my town of 15000 people
    eligible?"; [] when none fails (which does not make the question's case eligible)."""
    facts = stated(question)
    return [(b, text) for b in bounds(sentence) for unit, value, text in facts
            if unit == b.unit and b.excludes(value)]


def ages_outside(question: str, sentence: str) -> list[tuple[Bound, str]]:
    """Each age the sentence says something is for that none of the question's ages falls in,
    with the question's age as written: [(jeunes de 18 ans, "15 to 17 year olds")] for "How
    much pass Culture credit do 15 to 17 year olds get?" against « Le pass Culture permet aux
    jeunes de 18 ans… »; [] when the question states no age, or one the sentence covers."""
    asked = [b for b in age_bounds(question) if b.low is not None and b.high is not None] + \
        [Bound("years", Decimal(m.group("n")), Decimal(m.group("n")), m.group("age")) for m in _HAS_AGE.finditer(question)]
    return [(b, asked[0].text) for b in age_bounds(sentence) if asked and all(not b.overlaps(x) for x in asked)]


def bounds_stated(question: str, sentence: str) -> bool:
    """The sentence bounds a quantity the question states (the question's population, its age),
    whether or not the figure falls outside: "Notre commune compte 8 000 habitants" and
    "communes rurales de moins de 10.000 habitants"."""
    units = {unit for unit, _, _ in stated(question)}
    return any(b.unit in units for b in bounds(sentence))
