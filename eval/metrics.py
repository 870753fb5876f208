"""Evaluation metrics: small pure functions over an eval item, a public answer and a ranking.

Inputs
------
* an eval item (`EvalItem`, one line of a JSONL eval set, read by `load_eval_set`);
* an answer in the public shape of `Answer.to_public()` (a plain dict: id, question, answer,
  refused, language, mode, citations[{section, title, pages, quote}], latency_s);
* for retrieval metrics, the ranked section labels retrieved (deduplicated, best first);
* for invented details, the corpus text and a mapping section label -> section text.

Conventions
-----------
* Every metric states its range; "higher is better" unless said otherwise.
* `None` means "not applicable to this item" (e.g. no expected section, no fact to find).
  `aggregate` averages ignoring `None` and reports how many items each mean is over.
* Text matching (`normalize_text`): Unicode NFKC (so NBSP U+00A0 and narrow NBSP U+202F become
  spaces, and the guide's "ﬁ" ligature becomes "fi"), case-folded, typographic apostrophes made
  ASCII, whitespace runs collapsed, no space around "€", and digit groups written with a space
  ("15 000") joined ("15000"). Accents are kept. "€" and "euros" are *not* made equivalent: an
  eval item lists every accepted spelling.
* Section labels are compared after the same normalisation with all spaces removed, so
  "Atelier n°2" == "atelier n° 2".

Questions beyond the guide
--------------------------
The guide is dated (Occitanie conference of 7 July 2021). Items of type "beyond_guide" ask what
it cannot say (a later year, a scheme's current status, another region, a scheme it never
names): `expect_refusal` true = wholly beyond, false = partly (the answerable part in
`must_contain`). For them `limit_stated` checks that the answer says plainly what the guide
cannot say; for every answer `body_language` checks the language of its own words (quotes of
the guide removed) and `dated` that each line stating a euro amount also gives the guide's
year, 2021.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from guide_assistant.details import Detail, Evidence, extract_details, nfkc
from guide_assistant.errors import GuideAssistantError
from guide_assistant.records import Answer, Language, Turn

ItemType = Literal[
    "factual", "funding", "contact", "who", "multi", "followup", "paraphrase", "logistics",
    "out_of_scope", "adversarial", "beyond_guide",
]

HIT_KS: tuple[int, ...] = (1, 3, 5)
"""The k of the hit@k values kept per item (`ItemScore.hit_at_1` …)."""


# --------------------------------------------------------------------------------------------
# Eval set
# --------------------------------------------------------------------------------------------


class EvalSetError(GuideAssistantError, ValueError):
    """The eval set file cannot be read: the message names the file and the line."""


class EvalItem(BaseModel):
    """One question of the eval set (one JSONL line). Unknown keys are ignored.

    must_contain: facts the answer must state; each fact is a list of accepted spellings
    (a bare string is taken as a one-spelling fact). must_not_contain: strings that must not
    appear. expected_sources: section labels ("Atelier n°2", "Table-ronde IV").
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    lang: Language
    type: ItemType
    question: str
    history: list[Turn] = []
    expected_sources: list[str]
    must_contain: list[list[str]]
    must_not_contain: list[str] = []
    expect_refusal: bool
    notes: str = ""

    @field_validator("history", "must_not_contain", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("notes", mode="before")
    @classmethod
    def _none_is_blank(cls, v: Any) -> Any:
        return "" if v is None else v

    @field_validator("must_contain", mode="before")
    @classmethod
    def _facts(cls, v: Any) -> Any:
        if isinstance(v, list):
            v = [[f] if isinstance(f, str) else f for f in v]
            for i, group in enumerate(v):
                if isinstance(group, list) and not group:
                    raise ValueError(f"fact {i} has no accepted spelling")
        return v


def _describe(error: dict) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    if error["type"] == "missing":
        return f"missing key '{loc}'"
    return f"key '{loc}': {error['msg']}"


def load_eval_set(path: str | Path) -> list[EvalItem]:
    """Read a JSONL eval set: one JSON object per line, blank lines skipped.

    Raises `EvalSetError` (a `ValueError`) naming the file and the 1-based line number when a
    line is not valid JSON, not an object, misses a key, holds a bad value or repeats an id;
    also when the file is missing or holds no item.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as e:
        raise EvalSetError(f"{path}: cannot read the eval set ({e.strerror or e}).") from e
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise EvalSetError(f"{path}, line {n}: not valid JSON ({e.msg}, column {e.colno}).") from e
        if not isinstance(data, dict):
            raise EvalSetError(f"{path}, line {n}: expected a JSON object, got {type(data).__name__}.")
        try:
            item = EvalItem.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(_describe(err) for err in e.errors())
            raise EvalSetError(f"{path}, line {n}: {problems}.") from e
        if item.id in seen:
            raise EvalSetError(f"{path}, line {n}: id '{item.id}' already used on line {seen[item.id]}.")
        seen[item.id] = n
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}: the eval set holds no item.")
    return items


# --------------------------------------------------------------------------------------------
# Normalisation and matching
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_EURO_SPACE = re.compile(r" ?€ ?")
# "15 000", "1 234 567": 1-3 digits then space-separated groups of exactly 3 digits.
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?!\d)")


def normalize_text(text: str) -> str:
    """Matching form of a text (see the module docstring): NFKC, case-folded, whitespace
    collapsed (NBSP and narrow NBSP included), no space around "€", "15 000" -> "15000"."""
    t = nfkc(text).casefold()
    t = _WS.sub(" ", t).strip()
    t = _EURO_SPACE.sub("€", t)
    return _DIGIT_GROUPS.sub(lambda m: m.group(0).replace(" ", ""), t)


def _contains(haystack: str, needle: str) -> bool:
    """`needle` occurs in `haystack` (both normalised) without cutting a number in two:
    "1€" is not found in "11€", "1,30" is not found in "11,30" nor in "1,305"."""
    if not needle:
        return False
    start = 0
    while (i := haystack.find(needle, start)) >= 0:
        j = i + len(needle)
        before, after = haystack[:i], haystack[j:]
        ok_left = not needle[0].isdigit() or not (
            before[-1:].isdigit() or (before[-1:] in (".", ",") and before[-2:-1].isdigit())
        )
        ok_right = not needle[-1].isdigit() or not (
            after[:1].isdigit() or (after[:1] in (".", ",") and after[1:2].isdigit())
        )
        if ok_left and ok_right:
            return True
        start = i + 1
    return False


def _label(label: str) -> str:
    return normalize_text(label).replace(" ", "")


def _unique_labels(labels: Iterable[str]) -> list[str]:
    out: list[str] = []
    for lab in labels:
        n = _label(lab)
        if n not in out:
            out.append(n)
    return out


# --------------------------------------------------------------------------------------------
# Retrieval
# --------------------------------------------------------------------------------------------
# llama-index's HitRate and MRR compare `retrieved_ids` with `expected_ids` by plain string
# equality, so section labels work as "ids". They fit with three guards kept here: they take no
# k (we pass ranked[:k]), they raise ValueError on an empty list (we return None when nothing is
# expected and 0.0 when nothing was retrieved), and they compare raw strings (we normalise
# labels first).


@lru_cache(maxsize=1)
def _llama_metrics():
    from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate

    return HitRate(), MRR()


def hit_at_k(ranked: Sequence[str], expected: Sequence[str], k: int) -> float | None:
    """Hit@k: 1.0 if any expected section label is among the first k ranked labels, else 0.0.

    Range 0.0-1.0, higher is better. None when `expected` is empty (nothing to find).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    exp = _unique_labels(expected)
    if not exp:
        return None
    top = _unique_labels(ranked)[:k]
    if not top:
        return 0.0
    return float(_llama_metrics()[0].compute(expected_ids=exp, retrieved_ids=top).score)


def reciprocal_rank(ranked: Sequence[str], expected: Sequence[str]) -> float | None:
    """Reciprocal rank (the item's MRR contribution): 1/rank of the first expected label in
    `ranked` (1-based), 0.0 if none is ranked.

    Range 0.0-1.0, higher is better. None when `expected` is empty.
    """
    exp = _unique_labels(expected)
    if not exp:
        return None
    ranked_n = _unique_labels(ranked)
    if not ranked_n:
        return 0.0
    return float(_llama_metrics()[1].compute(expected_ids=exp, retrieved_ids=ranked_n).score)


# --------------------------------------------------------------------------------------------
# Facts, forbidden strings, citations, refusal, language
# --------------------------------------------------------------------------------------------


def missing_facts(answer_text: str, must_contain: Sequence[Sequence[str]]) -> list[list[str]]:
    """The fact groups of which no accepted spelling appears in the answer (in input order)."""
    hay = normalize_text(answer_text)
    return [list(g) for g in must_contain if not any(_contains(hay, normalize_text(s)) for s in g)]


def fact_recall(answer_text: str, must_contain: Sequence[Sequence[str]]) -> float | None:
    """Share of fact groups found in the answer (a group is found when any of its spellings is).

    Range 0.0-1.0, higher is better. None when the item lists no fact.
    """
    if not must_contain:
        return None
    return 1.0 - len(missing_facts(answer_text, must_contain)) / len(must_contain)


def all_facts(answer_text: str, must_contain: Sequence[Sequence[str]]) -> bool | None:
    """True when every fact group is found. None when the item lists no fact."""
    if not must_contain:
        return None
    return not missing_facts(answer_text, must_contain)


def forbidden_found(answer_text: str, must_not_contain: Sequence[str]) -> list[str]:
    """The `must_not_contain` strings present in the answer (same matching as facts).
    An empty list is good."""
    hay = normalize_text(answer_text)
    return [s for s in must_not_contain if _contains(hay, normalize_text(s))]


def has_forbidden(answer_text: str, must_not_contain: Sequence[str]) -> bool:
    """True (bad) when any `must_not_contain` string is present in the answer."""
    return bool(forbidden_found(answer_text, must_not_contain))


def _cited_labels(citations: Iterable[Mapping[str, Any] | str]) -> list[str]:
    return [c if isinstance(c, str) else str(c.get("section", "")) for c in citations]


def citation_hit(citations: Sequence[Mapping[str, Any] | str], expected: Sequence[str]) -> bool | None:
    """True when every expected section is cited (citations: public citation dicts or labels).

    None when no section is expected.
    """
    exp = _unique_labels(expected)
    if not exp:
        return None
    cited = set(_unique_labels(_cited_labels(citations)))
    return all(e in cited for e in exp)


def citation_precision(
    citations: Sequence[Mapping[str, Any] | str], expected: Sequence[str]
) -> float | None:
    """Share of the distinct cited sections that are expected.

    Range 0.0-1.0, higher is better. None when nothing is cited or no section is expected.
    """
    exp = set(_unique_labels(expected))
    cited = _unique_labels(_cited_labels(citations))
    if not exp or not cited:
        return None
    return sum(c in exp for c in cited) / len(cited)


def refusal_correct(refused: bool, expect_refusal: bool) -> bool:
    """True when the assistant refused exactly when the item expects a refusal."""
    return bool(refused) == bool(expect_refusal)


def refusal_recall(refused: Sequence[bool], expect_refusal: Sequence[bool]) -> float | None:
    """Share of the items expecting a refusal that were refused.

    Range 0.0-1.0, higher is better. None when no item expects a refusal.
    """
    hits = [r for r, e in zip(refused, expect_refusal, strict=True) if e]
    return sum(map(bool, hits)) / len(hits) if hits else None


def false_refusal_rate(refused: Sequence[bool], expect_refusal: Sequence[bool]) -> float | None:
    """Share of the answerable items (no refusal expected) that were refused.

    Range 0.0-1.0, LOWER is better. None when every item expects a refusal.
    """
    ans = [r for r, e in zip(refused, expect_refusal, strict=True) if not e]
    return sum(map(bool, ans)) / len(ans) if ans else None


def language_match(answer_language: str, expected_lang: str) -> bool:
    """True when the answer's language code is the question's ("fr"/"en")."""
    return answer_language.strip().lower() == expected_lang.strip().lower()


# --------------------------------------------------------------------------------------------
# The guide's limits, the answer's own language, dated amounts
# --------------------------------------------------------------------------------------------
# These checks read the answer's text only, with the eval's own word lists: they do not depend
# on the assistant's wording (nor import its language module).

_FOLD_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def _fold(text: str) -> str:
    """`normalize_text` without accents (matching form of the phrase lists below)."""
    t = unicodedata.normalize("NFD", normalize_text(text).translate(_FOLD_APOSTROPHES))
    return unicodedata.normalize("NFC", "".join(c for c in t if not unicodedata.combining(c)))


_QUOTED = re.compile(r"«[^»]*»|«[^\n]*")  # a guide quote; an unclosed one runs to the end of its line
_LINK = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")


def own_words(answer_text: str) -> str:
    """The answer's own words: the text with the guide's quoted evidence removed (text between
    « and », lines starting with ">", contact-card lines starting with "- "), and URLs and
    e-mail addresses."""
    t = _QUOTED.sub(" ", answer_text)
    lines = [ln for ln in t.splitlines() if not ln.lstrip().startswith((">", "- "))]
    return _LINK.sub(" ", "\n".join(lines))


# Generic phrasings of "the guide cannot say this", in `_fold` form (no accents, ASCII
# apostrophes). French: "ne dit pas", "ne le précise pas", "n'en dit rien", "ne peut (pas) dire"…
_FR_VERBS = (r"dit|precise|indique|permet|mentionne|couvre|traite|donne|fournit|contient|evoque|aborde|cite|"
             r"nomme|parle|prevoit|detaille|renseigne|comporte|decrit|presente|repond|concerne|porte|"
             r"sait|sais|dispose|figure|figurent|apparait|apparaissent")
_LIMIT_FR = re.compile(
    r"\bn(?:e\s+|')(?:(?:le|la|les|l'|en|y|lui|nous|vous|me|m'|se|s')\s*)?(?:" + _FR_VERBS
    + r")\s+(?:pas|rien|aucun\w*|nulle part|jamais)\b"
    r"|\bne\s+(?:peut|peux|puis|pourra|pourrait|sait|sais)\s+(?:pas\s+)?(?:le\s+|l'|en\s+)?"
    r"(?:dire|preciser|indiquer|savoir|confirmer|repondre)\b"
    r"|\bpas\s+(?:couvert|traite|mentionne|precise|indique|aborde|evoque|cite|prevu\s+par|dans\s+le\s+guide)\w*"
    r"|\b(?:hors|en\s+dehors)\s+du\s+(?:champ\s+du\s+)?guide\b|\bau-?dela\s+(?:de\s+ce\s+que\s+dit\s+)?du\s+guide\b"
    r"|\baucune\s+(?:information|indication|mention|precision|donnee)\b"
    r"|\bsans\s+(?:information|indication|precision)\b"
)
_EN_VERBS = (r"say|says|cover|covers|mention|mentions|state|states|specify|specifies|give|gives|include|"
             r"includes|provide|provides|address|addresses|indicate|indicates|name|names|list|lists|contain|"
             r"contains|tell|tells|know|describe|describes|discuss|discusses|detail|details|go|goes|answer|"
             r"confirm|predict|reach|extend|extends")
_EN_NOT = r"(?:(?:does|do|did|could|would|should|will|can)\s*(?:not|n't)|can't|cannot|won't)"
_LIMIT_EN = re.compile(
    r"\b" + _EN_NOT + r"\s+(?:" + _EN_VERBS + r")\b"
    r"|\b(?:is|are|was|were)\s*(?:not|n't)\s+(?:in|part\s+of|covered|mentioned|stated|specified|addressed|"
    r"included|discussed|given|listed|named|described)\b"
    r"|\bnot\s+(?:covered|mentioned|stated|specified|addressed|included|discussed|named|described)\b"
    r"|\bsays\s+nothing\b|\bis\s+silent\b|\bno\s+(?:information|mention|details?|indication|data)\b"
    r"|\b(?:outside|beyond)\s+(?:the\s+)?(?:scope\s+of\s+the\s+)?guide\b"
)


def limit_stated(answer_text: str) -> bool:
    """True when the answer's own words (`own_words`: the guide's quotes do not count) say
    plainly what the guide cannot say, in generic French or English phrasings: "ne dit pas",
    "ne précise pas", "n'indique pas", "ne permet pas de", "ne mentionne pas", "ne couvre pas",
    "ne peut pas dire", "pas couvert", "does not say", "doesn't cover", "cannot say", "can't
    tell", "not covered", "is not in the guide"… (accents, case and apostrophes ignored)."""
    t = _fold(own_words(answer_text))
    return bool(_LIMIT_FR.search(t) or _LIMIT_EN.search(t))


# Function words (after `_fold`; an elided French word keeps its apostrophe: "l'", "qu'").
# Words of both languages ("a", "on", "son", "as"…) are left out.
FR_WORDS = frozenset(
    "le la les l' un une des du de d' et est sont pour dans sur avec par qui que qu' au aux ce c' cette ces "
    "il elle ils elles vous nous je j' pas ne n' se s' leur leurs mais ou votre vos notre nos lui "
    "ete etre peut sans chez aussi donc ainsi entre selon lorsqu' jusqu' puisqu' tres".split()
)
EN_WORDS = frozenset(
    "the an and is are was were for in of to with by who which that this these those it its it' you your "
    "we our they their not or from at be been can cannot does doesn' do don' isn' aren' what how has have "
    "will there about into than but if also only per".split()
)
_WORD = re.compile(r"[a-z]+'?")


def body_language(answer_text: str) -> Literal["fr", "en"]:
    """Language of the answer's own words (`own_words`: quotes of the guide, quoted lines and
    contact-card lines removed), by counting French vs English function words; on a tie, the
    whole text decides, then "fr" (the guide's language)."""
    for text in (own_words(answer_text), answer_text):
        words = _WORD.findall(_fold(text))
        fr = sum(w in FR_WORDS for w in words)
        en = sum(w in EN_WORDS for w in words)
        if fr != en:
            return "fr" if fr > en else "en"
    return "fr"


GUIDE_YEAR = "2021"
_YEAR = re.compile(rf"(?<!\d){GUIDE_YEAR}(?!\d)")


def amount_lines(answer_text: str, question: str = "") -> list[str]:
    """The lines of the answer that state a euro amount (`details.AMOUNT`), other than lines
    whose every amount, by value, comes from the question (a heading that repeats it)."""
    asked = {d.value for d in extract_details(question) if d.kind == "amount"}
    return [ln for ln in answer_text.splitlines()
            if any(d.kind == "amount" and d.value not in asked for d in extract_details(ln))]


def dated(answer_text: str, question: str = "") -> bool | None:
    """True when every line of the answer stating a euro amount also holds "2021" (the guide's
    date: an amount is given as of the guide, e.g. "1,30 € (guide de juillet 2021)"); False when
    some amount line lacks it; None when the answer states no euro amount. Amounts the answer
    only repeats from `question` need no date."""
    lines = amount_lines(answer_text, question)
    if not lines:
        return None
    return all(_YEAR.search(ln) for ln in lines)


# --------------------------------------------------------------------------------------------
# Invented details: phones, e-mails, URLs, € amounts
# --------------------------------------------------------------------------------------------


def invented_details(answer_text: str, corpus_text: str) -> list[Detail]:
    """Details of the answer (see `extract_details`) that appear nowhere in the corpus.
    An empty list is good."""
    ev = Evidence(corpus_text)
    return [d for d in extract_details(answer_text) if not ev.supports(d)]


def unsupported_details(
    answer_text: str, cited_sections: Sequence[str], section_texts: Mapping[str, str]
) -> list[Detail]:
    """Details of the answer absent from the texts of the sections it cites (stricter than
    `invented_details`: a detail of another section, or any detail of an answer citing
    nothing, is unsupported). Labels missing from `section_texts` support nothing.
    An empty list is good."""
    by_label = {_label(k): v for k, v in section_texts.items()}
    texts = [by_label.get(lab, "") for lab in _unique_labels(cited_sections)]
    ev = Evidence("\n\n".join(texts))
    return [d for d in extract_details(answer_text) if not ev.supports(d)]


# --------------------------------------------------------------------------------------------
# Per item and aggregate
# --------------------------------------------------------------------------------------------


class ItemScore(BaseModel):
    """All per-item values. Ranges as in the metric functions; None = not applicable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    type: ItemType
    lang: Language
    expect_refusal: bool
    refused: bool
    refusal_correct: bool
    language_match: bool
    hit_at_1: float | None
    hit_at_3: float | None
    hit_at_5: float | None
    reciprocal_rank: float | None
    fact_recall: float | None
    all_facts: bool | None
    missing_facts: list[list[str]] = []
    citation_hit: bool | None
    citation_precision: float | None
    forbidden: bool = Field(description="True (bad) when a must_not_contain string is present")
    forbidden_found: list[str] = []
    invented: list[Detail] = Field(default=[], description="details absent from the corpus")
    unsupported: list[Detail] = Field(default=[], description="details absent from the cited sections")
    limit_stated: bool | None = Field(default=None, description="beyond_guide items: refused, or the answer "
                                      "says what the guide cannot say; None for other types")
    false_limit: bool | None = Field(default=None, description="answerable items (not beyond_guide, not "
                                     "expecting a refusal) answered: the answer still says the guide cannot say "
                                     "something (a needless caveat); None for other items")
    body_language: Literal["fr", "en"] | None = Field(default=None, description="language of the answer's own words")
    body_language_match: bool | None = Field(default=None, description="body_language == the item's lang")
    dated: bool | None = Field(default=None, description="every euro-amount line holds 2021; None when "
                               "refused or no amount is stated")
    latency_s: float | None = None


def score_item(
    item: EvalItem,
    answer: Mapping[str, Any] | Answer,
    ranked_sections: Sequence[str],
    corpus_text: str,
    section_texts: Mapping[str, str],
) -> ItemScore:
    """Score one answer (public dict shape, or an `Answer` record) against its eval item."""
    if isinstance(answer, Answer):
        answer = answer.to_public(item.id)
    text = str(answer.get("answer") or "")
    citations = list(answer.get("citations") or [])
    cited = _cited_labels(citations)
    refused = bool(answer.get("refused", False))
    latency = answer.get("latency_s")
    found_forbidden = forbidden_found(text, item.must_not_contain)
    hits = {k: hit_at_k(ranked_sections, item.expected_sources, k) for k in HIT_KS}
    body = body_language(text)
    return ItemScore(
        id=item.id,
        type=item.type,
        lang=item.lang,
        expect_refusal=item.expect_refusal,
        refused=refused,
        refusal_correct=refusal_correct(refused, item.expect_refusal),
        language_match=language_match(str(answer.get("language", "")), item.lang),
        hit_at_1=hits[1],
        hit_at_3=hits[3],
        hit_at_5=hits[5],
        reciprocal_rank=reciprocal_rank(ranked_sections, item.expected_sources),
        fact_recall=fact_recall(text, item.must_contain),
        all_facts=all_facts(text, item.must_contain),
        missing_facts=missing_facts(text, item.must_contain),
        citation_hit=citation_hit(cited, item.expected_sources),
        citation_precision=citation_precision(cited, item.expected_sources),
        forbidden=bool(found_forbidden),
        forbidden_found=found_forbidden,
        invented=invented_details(text, corpus_text),
        unsupported=unsupported_details(text, cited, section_texts),
        limit_stated=(refused or limit_stated(text)) if item.type == "beyond_guide" else None,
        false_limit=limit_stated(text) if _answerable(item) and not refused else None,
        body_language=body,
        body_language_match=body == item.lang,
        dated=None if refused else dated(text, item.question),
        latency_s=float(latency) if latency is not None else None,
    )


def _answerable(item: EvalItem) -> bool:
    """The guide answers the item wholly (no part of it is beyond the guide)."""
    return item.type not in ("beyond_guide", "out_of_scope", "adversarial") and not item.expect_refusal


def percentile(values: Sequence[float], q: float) -> float | None:
    """q-th percentile (0-100) with linear interpolation between closest ranks (numpy's
    default). None for an empty sequence."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


# aggregate key -> ItemScore getter. All "higher is better" except the rates of
# forbidden/invented/unsupported details and false refusals.
_MEANS = {
    "hit@1": lambda s: s.hit_at_1,
    "hit@3": lambda s: s.hit_at_3,
    "hit@5": lambda s: s.hit_at_5,
    "mrr": lambda s: s.reciprocal_rank,
    "fact_recall": lambda s: s.fact_recall,
    "all_facts": lambda s: s.all_facts,
    "citation_hit": lambda s: s.citation_hit,
    "citation_precision": lambda s: s.citation_precision,
    "refusal_accuracy": lambda s: s.refusal_correct,
    "refusal_recall": lambda s: s.refused if s.expect_refusal else None,
    "false_refusal_rate": lambda s: s.refused if not s.expect_refusal else None,
    "language_match": lambda s: s.language_match,
    "forbidden_rate": lambda s: s.forbidden,
    "invented_rate": lambda s: bool(s.invented),
    "unsupported_rate": lambda s: bool(s.unsupported),
    # beyond_guide items only (limit_stated is None for the other types)
    "limit_stated_recall": lambda s: s.limit_stated if s.expect_refusal else None,
    "partial_limit_stated": lambda s: s.limit_stated if not s.expect_refusal else None,
    "false_limit_rate": lambda s: s.false_limit,
    "body_language_match": lambda s: s.body_language_match,
    "dated_rate": lambda s: s.dated,
}


def _summary(scores: Sequence[ItemScore]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(scores)}
    counts: dict[str, int] = {}
    for key, get in _MEANS.items():
        vals = [float(v) for s in scores if (v := get(s)) is not None]
        out[key] = sum(vals) / len(vals) if vals else None
        counts[key] = len(vals)
    out["invented_total"] = sum(len(s.invented) for s in scores)
    out["unsupported_total"] = sum(len(s.unsupported) for s in scores)
    lat = [s.latency_s for s in scores if s.latency_s is not None]
    out["latency_p50_s"] = percentile(lat, 50)
    out["latency_p95_s"] = percentile(lat, 95)
    counts["latency"] = len(lat)
    out["counts"] = counts
    return out


def aggregate(
    scores: Sequence[ItemScore], by: Literal["type", "lang"] | None = None
) -> dict[str, Any]:
    """Means over items, ignoring None, with the number of items each mean is over.

    by=None: one dict {"n", "hit@1", "hit@3", "hit@5", "mrr", "fact_recall", "all_facts",
    "citation_hit", "citation_precision", "refusal_accuracy", "refusal_recall",
    "false_refusal_rate", "language_match", "forbidden_rate", "invented_rate",
    "unsupported_rate", "limit_stated_recall", "partial_limit_stated", "false_limit_rate", "body_language_match",
    "dated_rate", "invented_total", "unsupported_total", "latency_p50_s", "latency_p95_s",
    "counts": {key: n}}. Every mean is 0.0-1.0 (None when no item applies);
    higher is better except false_refusal_rate, false_limit_rate, forbidden_rate, invented_rate
    and unsupported_rate (share of items with at least one such problem: lower is better).
    limit_stated_recall: share of the wholly-beyond-the-guide items (type beyond_guide,
    expect_refusal true) refused or stating the guide's limit; partial_limit_stated: the same
    over the partly-beyond items (expect_refusal false); false_limit_rate: share of the answered,
    wholly answerable items whose answer still states a limit (a needless caveat, lower is
    better). body_language_match: share of answers
    whose own words are in the question's language. dated_rate: share of the answers stating a
    euro amount (refusals excluded) whose every amount line gives the guide's year.
    by="type" or "lang": {group value: that dict}, groups sorted.
    """
    if by is None:
        return _summary(scores)
    if by not in ("type", "lang"):
        raise ValueError(f'by must be None, "type" or "lang", got {by!r}')
    groups: dict[str, list[ItemScore]] = {}
    for s in scores:
        groups.setdefault(getattr(s, by), []).append(s)
    return {g: _summary(groups[g]) for g in sorted(groups)}
