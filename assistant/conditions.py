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


def bounds_stated(question: str, sentence: str) -> bool:
    """The sentence bounds a quantity the question states (the question's population, its age),
    whether or not the figure falls outside: "Notre commune compte 8 000 habitants" and
    "communes rurales de moins de 10.000 habitants"."""
    units = {unit for unit, _, _ in stated(question)}
    return any(b.unit in units for b in bounds(sentence))
