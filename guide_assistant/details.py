"""Checkable details of a text — phone numbers, e-mails, URLs, € amounts, dates, times and
numbers with units — defined once, with their normalisation. A leaf module: it imports nothing
of the package. Ingest copies the records' contacts and amounts with `printed`; the answer
checks, the premise warning, the eligibility conditions and the eval read `extract_details`,
`amount_value` and `parse_number`: a detail has one definition and one value everywhere.

Spellings (source: the guide's own, e.g. "05 49 37 56 30", "0 800 122 500", "15 000€",
"1,30 €", "7 milliards d'€", "10.000 habitants", "14h55"; and how questions write them,
"€1.30", "€2 million", "+33 5 …"). Thousands are separated by a space, a no-break space
(U+00A0), a narrow no-break space (U+202F, French typesetting), a thin space (U+2009) or a dot.

Normalisation (`Detail.value`): phone → digits only ("+33 5 …" → "05 …"); e-mail → lower
case; URL → lower case without scheme, "www." or trailing punctuation; amount → the decimal
value in euros as a plain string ("1.3", "15000", "7000000000"); date → "YYYY-MM-DD",
"YYYY-MM" or "YYYY" ("?-06-28" without a year); quantity → "<value> <unit>" ("3 year").
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict

SPACES = " \u00a0\u202f\u2009"  # space, no-break space, narrow no-break space, thin space
_WS = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})
MONTHS = {"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
          "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
          "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
          "september": 9, "october": 10, "november": 11, "december": 12}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

# A whole number as written: "15 000", "10.000", "25,000" (grouped by thousands, French or English) or "300".
INTEGER = rf"\d{{1,3}}(?:[{SPACES}.,]\d{{3}})+(?![,.]?\d)|\d+"
# A number with a unit a claim can get wrong: durations, percentages, counts of people/places.
UNITS = {"an": "year", "ans": "year", "année": "year", "années": "year", "year": "year", "years": "year",
         "mois": "month", "month": "month", "months": "month", "jour": "day", "jours": "day", "day": "day",
         "days": "day", "semaine": "week", "semaines": "week", "week": "week", "weeks": "week",
         "%": "percent", "pour cent": "percent", "percent": "percent", "habitants": "inhabitants",
         "inhabitants": "inhabitants"}
_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
QUANTITY = re.compile(rf"(?<![\d.,])(?P<n>\d{{1,3}}(?:[{SPACES}.]\d{{3}})*(?:,\d+)?)\s?(?P<u>{_UNIT})(?![\w])", re.I)
DATE = re.compile(
    rf"\b(?:(?P<d>\d{{1,2}})(?:er)?\s+(?P<m>{_MONTH})(?:\s+(?P<y>(?:19|20)\d{{2}}))?"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<y2>(?:19|20)\d{{2}}))?"
    rf"|(?P<m3>{_MONTH})\s+(?P<y3>(?:19|20)\d{{2}})"
    rf"|(?P<y4>(?:19|20)\d{{2}}))\b",
    re.IGNORECASE,
)
# A time of day: "14h55", "9 h", "14:30", "midi".
TIME = re.compile(r"\b\d{1,2}\s?h\s?\d{0,2}\b|\b\d{1,2}:\d{2}\b|\b(?:à )?(?:midi|minuit)\b")

_SEP = r"[\s.\-]?"
# A French phone number: 10 digits ("05 49 37 56 30", "05.49.37.56.30", "0 800 122 500") or "+33 5 …".
PHONE = re.compile(
    rf"(?<![\d+])(?<!\d[,.])(?:(?:\+|00)33{_SEP}(?:\(0\){_SEP})?|0{_SEP})(?:\d{_SEP}){{8}}\d(?!,?\d)"
)
# Any other run of 7+ digits (separators allowed): a phone number in another format
# ("123-456-7890", "+1 555 0100 200"), a reference, an identifier.
LONG_NUMBER = re.compile(r"(?<![\w.,])\d(?:[ .\-/]?\d){6,}(?![\w])")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A web address printed with its scheme (what the guide's contact lists and links give).
WEB_URL = re.compile(r"https?://[^\s<>\"«»]+")
# Any written address: with a scheme or "www.", up to a space, a quote or a bracket.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}«»]+", re.IGNORECASE)
# A bare domain as printed in running text ("site logement.gouv.fr", "caf.fr/partenaires"):
# labels and a common top-level domain, not part of a longer word, an e-mail or a URL; groups
# `domain` and `path` (None when absent). Ingest reads it for the guide's links.
BARE_DOMAIN = re.compile(
    r"(?<![\w@./-])(?P<domain>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:fr|com|org|net|eu|info))(?![\w@-])"
    r"(?P<path>/[^\s<>\"'()\[\]{}«»]*)?",
    re.IGNORECASE,
)
URL_BREAK = re.compile(r"(?<=[a-z0-9][-/])[ \t]*\n\s*(?=[a-z0-9])")
_URL_TRAIL = ".,;:!?)]}'\"#/»"
_PRINTED_URL_TRAIL = ".,;)"  # sentence punctuation after a printed address

# A number: "15 000", "15.000", "1 234,56", "2,000.50" (grouped), or "300", "1,30", "1.5".
_NUM = rf"(?:\d{{1,3}}(?:[{SPACES}.,]\d{{3}})+(?:[.,]\d{{1,2}})?|\d+(?:[.,]\d{{1,2}})?)(?!\d)"
_MULT = r"milliards?|millions?|billions?|mille|mds?|bn|m|k"
# An amount counts only with "€", "euro(s)" or "EUR" attached: "10.000 habitants" is not money.
AMOUNT = re.compile(
    rf"""
    (?<![\w,.])(?<!\d[.,])(?P<n1>{_NUM})             # 15 000 / 1,30 / 7
    \s?(?:(?P<m1>{_MULT})\.?\s?(?:d['’]\s?)?)?       # optional "milliards d'", "M"
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

Kind = Literal["phone", "email", "url", "amount", "date", "quantity", "number"]


class Detail(BaseModel):
    """A checkable detail found in a text.

    text: as written (after NFKC). value: the normalised form (see the module docstring).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    text: str
    value: str


def nfkc(text: str) -> str:
    """`text` in NFKC (no-break spaces become spaces, ligatures letters) with ASCII apostrophes."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)


def parse_number(num: str) -> Decimal:
    """Value of a French or English written number.

    Spaces (any kind) are thousands separators. With both "." and ",", the last one is the
    decimal mark. With one kind only: repeated, or followed by exactly 3 digits, it separates
    thousands ("15.000", "2,000" -> 15000, 2000); otherwise it is the decimal mark ("1,30",
    "1.30", "1.5"). Raises ValueError when `num` is no number.
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
                s = s.replace(mark, "" if s.count(mark) > 1 or len(tail) == 3 else ".")
    try:
        return Decimal(s)
    except InvalidOperation as e:
        raise ValueError(f"not a number: {num!r}") from e


def _decimal_str(d: Decimal) -> str:
    return format(d.normalize(), "f")


def _amount(m: re.Match) -> Decimal:
    """Euros of an AMOUNT match, its multiplier applied ("7 milliards d'€" -> 7e9)."""
    value = parse_number(m.group("n1") or m.group("n2"))
    mult = (m.group("m1") or m.group("m2") or "").lower()
    if mult:
        value *= _MULTIPLIERS[mult if mult in _MULTIPLIERS else mult.rstrip("s")]
    return value


def amount_value(text: str) -> float | None:
    """The first € amount of `text`, in euros ("€1.30", "1,30 €" and "1.30 €" -> 1.3;
    "7 milliards d'€" -> 7e9; "1 250,50 €" with any space -> 1250.5); None without one."""
    m = AMOUNT.search(text)
    return float(_amount(m)) if m else None


def phone_value(text: str) -> str:
    """Digits of a phone number, "+33 5 …" and "0033 5 …" written "05 …"."""
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


_PRINTED = {"phone": PHONE, "email": EMAIL, "url": WEB_URL, "amount": AMOUNT}


def printed(text: str, kind: Literal["phone", "email", "url", "amount"]) -> list[str]:
    """The details of one kind exactly as `text` prints them (no-break spaces kept), in order,
    repeats kept: what the section records copy. A URL is one printed with its scheme, without
    the sentence's closing punctuation. Raises KeyError for another kind."""
    found = [m.group().strip() for m in _PRINTED[kind].finditer(text)]
    return [f.rstrip(_PRINTED_URL_TRAIL) for f in found] if kind == "url" else found


def extract_details(text: str, dates: bool = False, quantities: bool = False) -> list[Detail]:
    """Every phone number, e-mail, URL and € amount of `text`, deduplicated by (kind, value),
    in order of appearance within each kind.

    Phones: PHONE; any other run of 7+ digits is a "number" ("123-456-7890", value
    "1234567890"), so a phone number in another format is checked too. URLs: with a scheme,
    "www." or a bare domain ("logement.gouv.fr"). Amounts: AMOUNT, with a multiplier ("7
    milliards d'€", "€2 million", "3 M€"). With `dates`: "7 juillet 2021", "28 juin", "septembre
    2020", "July 7, 2021", and bare years 1900-2099. With `quantities`: a number with a unit —
    "3 ans" / "3 years", "24 mois", "80 %", "10.000 habitants" (value "3 year", …).
    """
    t = nfkc(text)
    found: list[Detail] = []

    def add(kind: str, raw: str, value: str) -> None:
        if value and not any(d.kind == kind and d.value == value for d in found):
            found.append(Detail(kind=kind, text=raw.strip(), value=value))

    for m in PHONE.finditer(t):
        add("phone", m.group(0), phone_value(m.group(0)))
    taken: list[tuple[int, int]] = []
    for m in EMAIL.finditer(t):
        add("email", m.group(0), m.group(0).lower())
        taken.append(m.span())
    for m in _URL.finditer(t):
        raw = m.group(0).rstrip(_URL_TRAIL) or m.group(0)
        add("url", raw, _url_value(raw))
        taken.append(m.span())
    for m in BARE_DOMAIN.finditer(t):
        if not any(a <= m.start() < b for a, b in taken):
            raw = m.group(0).rstrip(_URL_TRAIL)
            add("url", raw, _url_value(raw))
    for m in AMOUNT.finditer(t):
        add("amount", m.group(0), _decimal_str(_amount(m)))
    if dates:
        for m in DATE.finditer(t):
            add("date", m.group(0), _date_value(m))
    if quantities:
        for m in QUANTITY.finditer(t):
            add("quantity", m.group(0), f"{_decimal_str(parse_number(m.group('n')))} {UNITS[m.group('u').lower()]}")
    covered = [m.span() for pat in (PHONE, EMAIL, _URL, BARE_DOMAIN, AMOUNT, DATE, QUANTITY) for m in pat.finditer(t)]
    for m in LONG_NUMBER.finditer(t):
        if not any(a < m.end() and m.start() < b for a, b in covered):
            add("number", m.group(0), re.sub(r"\D", "", m.group(0)))
    return found


class Evidence:
    """The details a body of text supports, ready for membership tests."""

    def __init__(self, text: str) -> None:
        nf = nfkc(text).lower()
        # a URL broken across lines after "-" or "/" is joined again
        self.joined = URL_BREAK.sub("", nf)
        own = extract_details(text, dates=True, quantities=True)
        self.quantities = {d.value for d in own if d.kind == "quantity"}
        self.dates = {d.value for d in own if d.kind == "date"}
        self.phones = {d.value for d in own if d.kind == "phone"}
        self.emails = {d.value for d in own if d.kind == "email"}
        self.amounts = {d.value for d in own if d.kind == "amount"}
        self.numbers = {re.sub(r"\D", "", m.group(0)) for m in LONG_NUMBER.finditer(nfkc(text))}

    def _url_in(self, value: str, hay: str) -> bool:
        pat = re.compile(r"(?<![a-z0-9-])" + re.escape(value) + r"(?![a-z0-9_-])")
        return bool(pat.search(hay))

    def supports(self, d: Detail) -> bool:
        """`d` is among the text's details, compared by value; a date without a year is
        supported by the same day in any year; a URL is found whole in the text, also where the
        text lost a hyphen at a line break."""
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
        if d.kind == "date":
            return d.value in self.dates or any(v.endswith(d.value[1:]) for v in self.dates if d.value[0] == "?")
        return self._url_in(d.value, self.joined) or self._url_in(
            d.value.replace("-", ""), self.joined.replace("-", "")
        )
