"""Prompt templates as files, with their variables checked when loaded.

Each template is `<name>_<lang>.txt` in this folder (`<name>.txt` for one shared by both
languages, such as the system prompt, whose evaluated state is reused across questions), in
Python `str.format` syntax ({question}). `load_prompt(name, lang)` returns a `Prompt` whose variables must be exactly the ones the code
declares in PROMPT_VARIABLES; a file missing one, or using an unknown one, is refused.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from guide_assistant.errors import GuideAssistantError

PROMPT_VARIABLES: dict[str, frozenset[str]] = {
    "answer_system": frozenset(),
    "answer_user": frozenset({"sources", "question"}),
    "condense": frozenset({"history", "question"}),
    "judge_user": frozenset({"sources", "question"}),
}

# Prompts with one file for both languages (`<name>.txt`): the system prompt is shared so that
# the evaluated state of "system prompt + first source" serves French and English questions.
SHARED_PROMPTS = frozenset({"answer_system"})


class PromptError(GuideAssistantError):
    """A prompt file is missing or its variables differ from what the code passes."""


@dataclass(frozen=True)
class Prompt:
    """A checked template: `render(**values)` requires exactly its variables."""

    name: str
    text: str
    variables: frozenset[str]

    def render(self, **values: str) -> str:
        if set(values) != self.variables:
            raise PromptError(f"Prompt {self.name} takes {sorted(self.variables)}, got {sorted(values)}.")
        return self.text.format(**values)


def template_variables(text: str) -> frozenset[str]:
    """The {names} a str.format template uses."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(text) if field)


@lru_cache(maxsize=None)
def load_prompt(name: str, lang: str | None = None) -> Prompt:
    """Load and check `<name>_<lang>.txt` (`<name>.txt` when `lang` is None). Raises PromptError (unknown name, missing file,
    variables that differ from PROMPT_VARIABLES[name])."""
    if name not in PROMPT_VARIABLES:
        raise PromptError(f"Unknown prompt {name!r}; known: {sorted(PROMPT_VARIABLES)}.")
    file = f"{name}_{lang}.txt" if lang else f"{name}.txt"
    try:
        text = resources.files(__package__).joinpath(file).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PromptError(f"Prompt file {file} is missing from the prompts folder.") from exc
    found, expected = template_variables(text), PROMPT_VARIABLES[name]
    if found != expected:
        raise PromptError(f"Prompt file {file} uses {sorted(found)} but the code passes {sorted(expected)}: "
                          "fix the file's {placeholders}.")
    return Prompt(name=file, text=text.strip() + "\n", variables=expected)
