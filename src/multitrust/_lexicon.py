"""Word lists shared across floors (data generators and scorers), below both."""

NUMBER_WORDS: tuple[str, ...] = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)
"""English number words, index = value (R.2 counts are read as digits or these)."""
