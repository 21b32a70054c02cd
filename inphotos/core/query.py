"""The search box's little language: words, "quoted phrases" and -negative terms.

    beach -people            beaches, photos with people pushed down
    "red car" -night         the phrase stays together; night photos pushed down
    -"rainy day"             a negative phrase

The words and phrases that are not negated form one description (CLIP reads a sentence
better than separate words); each negative term is encoded on its own and its direction is
subtracted from the query's (core/library.py). A lone `-` or a dash inside a word
("black-and-white") is an ordinary character. An unclosed quote runs to the end.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class ParsedQuery:
    """What the user asked for: one positive description and the terms to push down."""

    positive: str
    negative: tuple[str, ...] = ()

    def __str__(self) -> str:
        def quoted(t: str) -> str:
            return f'"{t}"' if " " in t else t

        return " ".join([self.positive, *(f"-{quoted(t)}" for t in self.negative)]).strip()


def parse_query(text: str) -> ParsedQuery:
    """Split `text` into its description and negative terms (see the module docstring)."""
    positive: list[str] = []
    negative: list[str] = []
    for m in _TOKEN.finditer(text):
        minus, phrase, word = m.group(1), m.group(2), m.group(3)
        if word is not None:
            if word.startswith("-") and len(word) > 1:
                negative.append(word[1:])
            else:
                positive.append(word)
        else:
            phrase = " ".join(phrase.split())
            if phrase:
                (negative if minus else positive).append(phrase)
    return ParsedQuery(" ".join(positive), tuple(negative))
