"""Language of a question: French, English, or another language.

Why our own: the product answers in two languages, and questions are short ("Et le CAF ?");
general detectors (langdetect and the like) misjudge such short texts and add a dependency
for a two-way choice. Function words decide; accents break ties toward French.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœáíóúñãõß']+")
FRENCH = set("""le la les un une des du de d l qu que qui quoi quel quelle quels quelles est sont et ou
où à au aux pour par sur dans avec sans ce cet cette ces mon ma mes ma notre nos votre vos je j nous
vous il elle ils elles on comment combien pourquoi quand dois peut peux faut-il y a-t-il ne pas plus
commune maire mairie aide aides atelier ateliers financer financement jeunes école écoles""".split())
ENGLISH = set("""the a an of to in for on with without this that these those my our your i we you it
they he she how what which who whom why when where is are was were do does did can could should would
will may must there any about and or not from at by be have has funding fund school town mayor
workshop call contact young people""".split())
# Frequent function words of other languages, so that "¿Cómo financiar…?" is not taken for French.
OTHER = set("""el los las una unos por para como cómo qué quién dónde cuál der die das und ist nicht wie
was wer wo ein eine mit für lo gli di che come dove sono perché um não uma com são""".split())


def detect_language(text: str) -> str:
    """"fr", "en" or "other" for a question (a non-Latin script counts as "other")."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isascii() or ch in "àâäçéèêëîïôöùûüÿœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒ" for ch in letters) < 0.7 * len(letters):
        return "other"
    words = _WORD.findall(text.lower().replace("’", "'"))
    words = [w.strip("'") for w in words]
    fr = sum(w in FRENCH for w in words) + 0.5 * sum(ch in "àâçéèêëîïôûùœ" for ch in text.lower())
    en = sum(w in ENGLISH for w in words)
    other = sum(w in OTHER for w in words) + 0.5 * sum(ch in "áíóúñãõß¿¡" for ch in text.lower())
    if other > max(fr, en):
        return "other"
    return "en" if en > fr else "fr"
