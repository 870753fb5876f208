"""Checkable details of a text — phone numbers, e-mails, URLs, € amounts and dates — and
whether a body of text supports them. Used by the generative answer's per-citation check and by
the eval metrics (invented / unsupported details).

Normalisation (source: the guide's own spellings, e.g. "05 49 37 56 30", "15 000€", "1,30 €",
"7 milliards d'€"): phone → digits only ("+33 5 …" → "05 …"); e-mail → lower case; URL → lower
case without scheme, "www." or trailing punctuation; amount → decimal value in euros; date →
"YYYY-MM-DD", "YYYY-MM" or "YYYY".
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict

_WS = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})
MONTHS = {"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
          "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
          "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
          "september": 9, "october": 10, "november": 11, "december": 12}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# A number with a unit a claim can get wrong: durations, percentages, counts of people/places.
UNITS = {"an": "year", "ans": "year", "année": "year", "années": "year", "year": "year", "years": "year",
         "mois": "month", "month": "month", "months": "month", "jour": "day", "jours": "day", "day": "day",
         "days": "day", "semaine": "week", "semaines": "week", "week": "week", "weeks": "week",
         "%": "percent", "pour cent": "percent", "percent": "percent", "habitants": "inhabitants",
         "inhabitants": "inhabitants"}
_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_QUANTITY = re.compile(rf"(?<![\d.,])(?P<n>\d{{1,3}}(?:[  .]\d{{3}})*(?:,\d+)?)\s?(?P<u>{_UNIT})(?![\w])", re.I)
_DATE = re.compile(
    rf"\b(?:(?P<d>\d{{1,2}})(?:er)?\s+(?P<m>{_MONTH})(?:\s+(?P<y>(?:19|20)\d{{2}}))?"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<y2>(?:19|20)\d{{2}}))?"
    rf"|(?P<m3>{_MONTH})\s+(?P<y3>(?:19|20)\d{{2}})"
    rf"|(?P<y4>(?:19|20)\d{{2}}))\b",
    re.IGNORECASE,
)

class Detail(BaseModel):
    """A checkable detail found in a text.

    text: as written (after NFKC). value: the normalised form compared with the guide:
    phone -> digits only, "+33 5 …" written "05 …"; email -> lower case; url -> lower case
    without scheme, "www.", trailing punctuation or "/"; amount -> the decimal value in euros
    as a plain string ("1.3", "15000", "7000000000").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["phone", "email", "url", "amount", "date", "quantity", "number"]
    text: str
    value: str


_SEP = r"[\s.\-]?"
_PHONE = re.compile(
    rf"(?<![\d+])(?:(?:\+|00)33{_SEP}(?:\(0\){_SEP})?|0{_SEP})(?:\d{_SEP}){{8}}\d(?!\d)"
)
# Any other run of 7+ digits (separators allowed): a phone number in another format
# ("123-456-7890", "+1 555 0100 200"), a reference, an identifier.
_LONG_NUMBER = re.compile(r"(?<![\w.,])\d(?:[ .\-/]?\d){6,}(?![\w])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}«»]+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    r"(?<![\w@./-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:fr|com|org|net|eu|info)\b(?:/[^\s<>\"'()\[\]{}«»]*)?",
    re.IGNORECASE,
)
_URL_BREAK = re.compile(r"(?<=[a-z0-9][-/])[ \t]*\n\s*(?=[a-z0-9])")
_URL_TRAIL = ".,;:!?)]}'\"#/»"

# A number: "15 000", "15.000", "1 234,56", "2,000.50" (grouped), or "300", "1,30", "1.5".
_NUM = r"(?:\d{1,3}(?:[ .,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)"
_MULT = r"milliards?|millions?|billions?|mille|mds?|bn|m|k"
_AMOUNT = re.compile(
    rf"""
    (?<!\d)(?<!\d[.,])(?P<n1>{_NUM})                 # 15 000 / 1,30 / 7
    \s?(?:(?P<m1>{_MULT})\.?\s?(?:d'\s?)?)?          # optional "milliards d'", "M"
    (?:€|euros?\b|eur\b)                             # the currency, attached
    |
    (?:€|\beur\s)\s?(?P<n2>{_NUM})                   # €1.30 / € 15 000
    (?:\s?(?P<m2>{_MULT})\b)?                        # optional "billion", "m"
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MULTIPLIERS = {
    "milliard": 10**9, "billion": 10**9, "md": 10**9, "mds": 10**9, "bn": 10**9,
    "million": 10**6, "m": 10**6, "mille": 10**3, "k": 10**3,
}


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)


def parse_number(num: str) -> Decimal:
    """Value of a French or English written number.

    Spaces are thousands separators. With both "." and ",", the last one is the decimal mark.
    With one kind only: repeated, or followed by exactly 3 digits, it separates thousands
    ("15.000", "2,000" -> 15000, 2000); otherwise it is the decimal mark ("1,30", "1.5").
    """
    s = _WS.sub("", num)
    if "." in s and "," in s:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        grp = "," if dec == "." else "."
        s = s.replace(grp, "").replace(dec, ".")
    else:
        for mark in (".", ","):
            if mark in s:
                tail = s.rsplit(mark, 1)[1]
                if s.count(mark) > 1 or len(tail) == 3:
                    s = s.replace(mark, "")
                else:
                    s = s.replace(mark, ".")
    try:
        return Decimal(s)
    except InvalidOperation as e:  # pragma: no cover - the regex only hands over digits
        raise ValueError(f"not a number: {num!r}") from e


def _decimal_str(d: Decimal) -> str:
    return format(d.normalize(), "f")


def _phone_value(text: str) -> str:
    t = text.replace("(0)", "")
    digits = re.sub(r"\D", "", t)
    if t.startswith("+33"):
        digits = "0" + digits[2:]
    elif t.startswith("0033"):
        digits = "0" + digits[4:]
    return digits


def _url_value(text: str) -> str:
    u = text.lower()
    u = re.sub(r"^https?://", "", u)
    u = re.sub(r"^www\.", "", u)
    return u.rstrip(_URL_TRAIL)


def _date_value(m: re.Match) -> str:
    day = m.group("d") or m.group("d2")
    month = MONTHS.get((m.group("m") or m.group("m2") or m.group("m3") or "").lower())
    year = m.group("y") or m.group("y2") or m.group("y3") or m.group("y4")
    if day and month:
        return f"{year or '?'}-{month:02d}-{int(day):02d}"
    if month:
        return f"{year}-{month:02d}"
    return year or ""


def extract_details(text: str, dates: bool = False, quantities: bool = False) -> list[Detail]:
    """Every phone number, e-mail, URL and € amount of `text`, deduplicated by (kind, value),
    in order of appearance within each kind.

    Phones: French numbers of 10 digits ("05 49 37 56 30", "05.49.37.56.30", "0549375630",
    "0 800 122 500") or "+33 5 …"; any other run of 7+ digits is a "number" ("123-456-7890",
    value "1234567890"), so a phone number in another format is checked too. Amounts count only with "€", "euro(s)" or "EUR" attached,
    before or after the number, optionally with a multiplier ("7 milliards d'€", "€2 million",
    "3 M€"); "10.000 habitants" is not money. With `dates`: "7 juillet 2021", "28 juin",
    "septembre 2020", "July 7, 2021", and bare years 1900-2099. With `quantities`: a number with a
    unit — "3 ans" / "3 years", "24 mois", "80 %", "10.000 habitants" (value "3 year", …).
    """
    t = nfkc(text)
    found: list[Detail] = []

    def add(kind: str, raw: str, value: str) -> None:
        if value and not any(d.kind == kind and d.value == value for d in found):
            found.append(Detail(kind=kind, text=raw.strip(), value=value))

    for m in _PHONE.finditer(t):
        add("phone", m.group(0), _phone_value(m.group(0)))
    taken: list[tuple[int, int]] = []
    for m in _EMAIL.finditer(t):
        add("email", m.group(0), m.group(0).lower())
        taken.append(m.span())
    for m in _URL.finditer(t):
        raw = m.group(0).rstrip(_URL_TRAIL) or m.group(0)
        add("url", raw, _url_value(raw))
        taken.append(m.span())
    for m in _BARE_DOMAIN.finditer(t):
        if any(a <= m.start() < b for a, b in taken):
            continue
        raw = m.group(0).rstrip(_URL_TRAIL)
        add("url", raw, _url_value(raw))
    for m in _AMOUNT.finditer(t):
        num = m.group("n1") or m.group("n2")
        mult = (m.group("m1") or m.group("m2") or "").lower()
        value = parse_number(num)
        if mult:
            value *= _MULTIPLIERS[mult.rstrip("s") if mult not in _MULTIPLIERS else mult]
        add("amount", m.group(0), _decimal_str(value))
    if dates:
        for m in _DATE.finditer(t):
            add("date", m.group(0), _date_value(m))
    if quantities:
        for m in _QUANTITY.finditer(t):
            add("quantity", m.group(0), f"{_decimal_str(parse_number(m.group('n')))} {UNITS[m.group('u').lower()]}")
    covered = [m.span() for pat in (_PHONE, _EMAIL, _URL, _BARE_DOMAIN, _AMOUNT, _DATE, _QUANTITY)
               for m in pat.finditer(t)]
    for m in _LONG_NUMBER.finditer(t):
        if not any(a < m.end() and m.start() < b for a, b in covered):
            add("number", m.group(0), re.sub(r"\D", "", m.group(0)))
    return found


class Evidence:
    """The details a body of text supports, ready for membership tests."""

    def __init__(self, text: str) -> None:
        nf = nfkc(text).lower()
        # a URL broken across lines after "-" or "/" is joined again
        self.joined = _URL_BREAK.sub("", nf)
        own = extract_details(text, dates=True, quantities=True)
        self.quantities = {d.value for d in own if d.kind == "quantity"}
        self.dates = {d.value for d in own if d.kind == "date"}
        self.phones = {d.value for d in own if d.kind == "phone"}
        self.emails = {d.value for d in own if d.kind == "email"}
        self.amounts = {d.value for d in own if d.kind == "amount"}
        self.numbers = {re.sub(r"\D", "", m.group(0)) for m in _LONG_NUMBER.finditer(nfkc(text))}

    def _url_in(self, value: str, hay: str) -> bool:
        pat = re.compile(r"(?<![a-z0-9-])" + re.escape(value) + r"(?![a-z0-9_-])")
        return bool(pat.search(hay))

    def supports(self, d: Detail) -> bool:
        if d.kind == "phone":
            return d.value in self.phones
        if d.kind == "email":
            return d.value in self.emails
        if d.kind == "amount":
            return d.value in self.amounts
        if d.kind == "quantity":
            return d.value in self.quantities
        if d.kind == "number":
            return d.value in self.numbers
        if d.kind == "date":  # "28 juin" (no year) is supported by "lundi 28 juin" or "28 juin 2021"
            return d.value in self.dates or any(v.endswith(d.value[1:]) for v in self.dates if d.value[0] == "?")
        # url: found whole (not cut inside a longer name), also when the guide's text lost the
        # hyphen at a line break (hyphenation repair)
        return self._url_in(d.value, self.joined) or self._url_in(
            d.value.replace("-", ""), self.joined.replace("-", "")
        )
