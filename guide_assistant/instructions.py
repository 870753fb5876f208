"""Text that gives orders to an assistant: in a question ("ignore tes instructions…") it is
refused; in a corpus document (a PDF paragraph telling "assistants" to answer with a status and a
phone number) it is data, never guidance, so ingest removes it before any record, chunk or quote
is made of it.

The cues are French and English grammar: who is addressed (an assistant, an AI, a language
model, a chatbot) together with what it is told to do (answer, reply, say, output…), or the
phrasings that override a system's rules. Leaf module: no import from the rest of the package.
"""

from __future__ import annotations

import re

# Overriding a system's rules, in a question or a document.
OVERRIDE = re.compile(
    r"ignore[sz]? (all |your |tes |vos |les |previous |prior )*(instructions|consignes|r[èe]gles|rules)|"
    r"oublie[sz]? (le guide|tes|vos)|system prompt|prompt syst[èe]me|system override|"
    r"do what it says|fais ce qu'il dit|you are now|tu es maintenant|jailbreak",
    re.I,
)
# Who a document's sentence may address, and the orders it may give them.
_ADDRESSEE = (r"assistants?|(?:intelligences? artificielles?|IA|AI)\b|chatbots?|agents? conversationnels?|"
              r"mod[èe]les? de langage|language models?|LLMs?")
_ORDER = (r"r[ée]pond\w*|answer\w*|repl(?:y|ies)|respond\w*|output|indiqu\w*|affich\w*|dis|dites|say|tell|"
          r"must|doivent|devez|doit|should|format\w*|JSON")
ADDRESSED = re.compile(rf"\b(?:{_ADDRESSEE})\b.{{0,80}}\b(?:{_ORDER})\b|\b(?:{_ORDER})\b.{{0,40}}\b(?:{_ADDRESSEE})\b",
                       re.I)


def gives_orders(text: str) -> bool:
    """Whether `text` overrides a system's rules or tells an assistant what to answer."""
    return bool(OVERRIDE.search(text) or ADDRESSED.search(text))


def without_orders(text: str, sentences: list[str]) -> tuple[str, list[str]]:
    """`text` with each of its `sentences` that gives orders blanked (its characters removed,
    its line breaks kept, so that a line → page mapping still holds), and those sentences."""
    removed = [s for s in sentences if gives_orders(s)]
    for sentence in removed:
        pattern = re.compile(r"\s+".join(re.escape(w) for w in sentence.split()))
        text = pattern.sub(lambda m: re.sub(r"[^\n]", "", m.group()), text, count=1)
    return text, removed
