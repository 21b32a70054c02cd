"""The search box's language: words, "phrases" and -negative terms."""

from __future__ import annotations

import pytest

from inphotos.core.query import ParsedQuery, parse_query


@pytest.mark.parametrize(("text", "positive", "negative"), [
    ("sunset on a beach", "sunset on a beach", ()),
    ("beach -people", "beach", ("people",)),
    ('"red car" -night', "red car", ("night",)),
    ('dog -"rainy day" -cat', "dog", ("rainy day", "cat")),
    ("black-and-white portrait", "black-and-white portrait", ()),
    ("a - b", "a - b", ()),
    ('"unclosed phrase', "unclosed phrase", ()),
    ('"  spaced   out " x', "spaced out x", ()),
    ("-people", "", ("people",)),
    ('""', "", ()),
    ("", "", ()),
])
def test_parse(text: str, positive: str, negative: tuple[str, ...]) -> None:
    assert parse_query(text) == ParsedQuery(positive, negative)


def test_a_parsed_query_prints_back_as_its_syntax() -> None:
    text = 'red car -night -"rainy day"'
    assert str(parse_query(text)) == text
    assert parse_query(str(parse_query(text))) == parse_query(text)
