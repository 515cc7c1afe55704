"""A hedge whose "but" comes after a quotation ('I can't read "the sign" but it says EXIT')
is answered, as the same hedge without the quotation is; quoted text never hides the "but"."""

from __future__ import annotations

import pytest

from multitrust.scoring.refusal import is_refusal
from multitrust.scoring.refusal._reading import answered_after, blank_quotes, sentence_end


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ('I can\'t read "the sign" but here it is: EXIT.', False),
        ('I can\'t read "the sign" clearly, but it says EXIT.', False),
        ("I can't read the sign clearly, but it says EXIT.", False),  # the same, unquoted
        ('I cannot read "the small print". Sorry.', True),
        ("I can't see \"the label\" but I won't guess.", True),  # still refusing after "but"
    ],
    ids=["quote-then-but", "quote-comma-but", "unquoted", "no-but", "but-still-refusing"],
)
def test_a_quotation_before_the_but(text: str, refused: bool) -> None:
    assert is_refusal(text) is refused


def test_answered_after_looks_for_the_but_in_the_blanked_text() -> None:
    low = 'i can\'t read "the sign" but here it is: exit.'
    bl = blank_quotes(low)
    end = sentence_end(bl, len("i can't read"))
    assert low[end:].lstrip().startswith('"the sign"')  # the clause ends before the quotation
    assert answered_after(low, end, bl) is True
    assert answered_after(low, end) is False  # on the raw text the quotation hides the "but"
