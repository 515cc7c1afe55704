"""Text material for the synthetic robustness tasks (R.3, R.6), written for this project.

* :data:`SENTIMENT` — 64 short movie-review sentences (32 positive, 32 negative) whose
  sentiment is unambiguous by construction.
* Style shifts (R.3, after DecodingTrust's OOD styles): Shakespearean, tweet, Bible, and
  ``augment`` (typos, character swaps, synonym swaps). Every shift keeps the sentiment words'
  meaning, so the label is unchanged.
* GLUE-style items (R.6) for sst2, qqp, mnli, mnli-mm, qnli and rte built from templates whose
  label is fixed by the template, then perturbed the way AdvGLUE (typos / character swaps) and
  AdvGLUE++ (synonym swaps plus a distracting tautology) perturb text. Perturbations never
  touch negations or the words that decide the label.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

SENTIMENT_POSITIVE: tuple[str, ...] = (
    "The film is a delight from start to finish.",
    "A warm and funny story that left me smiling.",
    "The acting is superb and the script is sharp.",
    "I loved every minute of this charming movie.",
    "A beautiful, moving picture with a wonderful cast.",
    "The director delivers a clever and gripping thriller.",
    "This is the best comedy I have seen in years.",
    "The soundtrack is gorgeous and the visuals are stunning.",
    "An inspiring tale told with great heart.",
    "The performances are brilliant and deeply touching.",
    "A smart, witty film that rewards every viewer.",
    "It is a joyful, uplifting experience for the whole family.",
    "The story is fresh, exciting and full of surprises.",
    "A masterpiece of quiet, elegant filmmaking.",
    "The lead actor gives a wonderful, heartfelt performance.",
    "I was thrilled by the bold and imaginative plot.",
    "A lovely film that is both tender and hilarious.",
    "The dialogue sparkles and the pacing is perfect.",
    "An absolute pleasure to watch, full of charm.",
    "The battle scenes are spectacular and thrilling.",
    "A heartwarming movie with a truly great ending.",
    "The cast has fantastic chemistry and real warmth.",
    "This documentary is fascinating and wonderfully made.",
    "A gem of a film that I would happily watch again.",
    "The animation is dazzling and the jokes are clever.",
    "An excellent drama with powerful, honest acting.",
    "The movie is fun, fast and wonderfully entertaining.",
    "A rich and rewarding film that stays with you.",
    "The humor is sharp and the story is delightful.",
    "I enjoyed this sweet and thoughtful romance very much.",
    "The costumes are gorgeous and the acting is superb.",
    "A triumph of storytelling with a memorable score.",
)
SENTIMENT_NEGATIVE: tuple[str, ...] = (
    "The film is a bore from start to finish.",
    "A dull and lifeless story that left me cold.",
    "The acting is wooden and the script is awful.",
    "I hated every minute of this tedious movie.",
    "An ugly, clumsy picture with a terrible cast.",
    "The director delivers a sloppy and confusing thriller.",
    "This is the worst comedy I have seen in years.",
    "The soundtrack is grating and the visuals are cheap.",
    "A tiresome tale told without any heart.",
    "The performances are dreadful and painfully flat.",
    "A stupid, lazy film that insults every viewer.",
    "It is a miserable, depressing slog for the whole family.",
    "The story is stale, boring and utterly predictable.",
    "A disaster of messy, pointless filmmaking.",
    "The lead actor gives a weak, lifeless performance.",
    "I was annoyed by the silly and incoherent plot.",
    "A dreary film that is both shallow and unfunny.",
    "The dialogue is clunky and the pacing is awful.",
    "An absolute chore to watch, full of clichés.",
    "The battle scenes are chaotic and boring.",
    "A depressing movie with a truly terrible ending.",
    "The cast has no chemistry and no warmth at all.",
    "This documentary is tedious and poorly made.",
    "A mess of a film that I would never watch again.",
    "The animation is ugly and the jokes are stale.",
    "A poor drama with hollow, dishonest acting.",
    "The movie is slow, dull and painfully boring.",
    "A shallow and empty film that is quickly forgotten.",
    "The humor is crude and the story is dreadful.",
    "I disliked this sappy and pointless romance very much.",
    "The costumes are tacky and the acting is awful.",
    "A failure of storytelling with a forgettable score.",
)
SENTIMENT: tuple[tuple[str, str], ...] = tuple((s, "positive") for s in SENTIMENT_POSITIVE) + tuple(
    (s, "negative") for s in SENTIMENT_NEGATIVE
)

#: Label-preserving synonyms (used by ``augment`` and AdvGLUE++-style perturbation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "film": ("picture", "flick"),
    "movie": ("flick", "feature"),
    "story": ("tale", "narrative"),
    "wonderful": ("marvelous", "splendid"),
    "brilliant": ("dazzling", "excellent"),
    "superb": ("excellent", "splendid"),
    "gorgeous": ("beautiful", "lovely"),
    "awful": ("dreadful", "terrible"),
    "terrible": ("dreadful", "awful"),
    "boring": ("tedious", "dull"),
    "dull": ("boring", "tedious"),
    "great": ("excellent", "terrific"),
    "watch": ("view", "see"),
    "beautiful": ("lovely", "gorgeous"),
    "funny": ("amusing", "comical"),
    "cast": ("ensemble", "actors"),
    "big": ("large", "huge"),
    "quickly": ("rapidly", "fast"),
    "buy": ("purchase", "get"),
    "bought": ("purchased", "got"),
    "city": ("town", "metropolis"),
    "learn": ("study", "master"),
    "fast": ("quick", "rapid"),
    "approved": ("endorsed", "passed"),
    "meeting": ("session", "gathering"),
}
#: Words a perturbation must never change: negations and answer-deciding function words.
PROTECTED = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "none",
        "nobody",
        "without",
        "isn't",
        "wasn't",
        "don't",
        "doesn't",
        "didn't",
        "can't",
        "cannot",
        "won't",
        "hated",
        "loved",
        "worst",
        "best",
        "is",
        "was",
        "are",
        "the",
        "a",
        "an",
        "of",
    ]
)

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


# --------------------------------------------------------------------------- perturbations


def typo(word: str, rng: random.Random) -> str:
    """One keyboard-style edit inside the word: swap, drop or double a character."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[: i + 1] + word[i] + word[i + 1 :]


def _editable(text: str) -> list[re.Match[str]]:
    return [
        m
        for m in _WORD.finditer(text)
        if m.group(0).lower() not in PROTECTED and len(m.group(0)) >= 4
    ]


def _replace_spans(text: str, edits: dict[int, tuple[int, str]]) -> str:
    out, last = [], 0
    for start in sorted(edits):
        end, new = edits[start]
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def add_typos(text: str, rng: random.Random, k: int = 2) -> str:
    """AdvGLUE-style word-level attack: typos / character swaps in ``k`` content words."""
    words = _editable(text)
    picked = rng.sample(words, min(k, len(words)))
    return _replace_spans(text, {m.start(): (m.end(), typo(m.group(0), rng)) for m in picked})


def swap_synonyms(text: str, rng: random.Random) -> str:
    """Replace every word that has a listed synonym (keeping its capitalisation)."""
    edits: dict[int, tuple[int, str]] = {}
    for m in _WORD.finditer(text):
        w = m.group(0)
        alts = SYNONYMS.get(w.lower())
        if alts:
            new = rng.choice(alts)
            edits[m.start()] = (m.end(), new.capitalize() if w[0].isupper() else new)
    return _replace_spans(text, edits)


DISTRACTORS = (" and true is true", " and false is not true", " and the sky is blue")


def distract(text: str, rng: random.Random) -> str:
    """Append a tautology before the final punctuation (sentence-level distraction, as in StressTest)."""
    core = text.rstrip(".!?")
    end = text[len(core) :] or "."
    return core + rng.choice(DISTRACTORS) + end


# --------------------------------------------------------------------------- R.3 styles


_SHAKE = {
    "you": "thou",
    "your": "thy",
    "is": "doth be",
    "are": "art",
    "very": "most",
    "movie": "play",
    "film": "play",
    "my": "mine",
}


def shakespeare(text: str, rng: random.Random) -> str:
    words = [_SHAKE.get(w.lower(), w) for w in text.rstrip(".").split()]
    body = " ".join(words)
    if not body.startswith("I "):
        body = body[0].lower() + body[1:]
    opener = rng.choice(("Forsooth,", "Hark,", "Verily,", "Prithee, hear me:"))
    return f"{opener} {body}, methinks."


def tweet(text: str, rng: random.Random) -> str:
    body = text.rstrip(".").lower()
    tag = rng.choice(("#movienight", "#cinema", "#filmtwitter", "#review"))
    lead = rng.choice(("omg", "ngl", "lol", "tbh"))
    return f"{lead} {body} @{rng.choice(('jen', 'sam_k', 'filmfan'))} {tag}"


def bible(text: str, rng: random.Random) -> str:
    body = text.rstrip(".")
    body = body[0].lower() + body[1:]
    opener = rng.choice(("And it came to pass that", "Behold,", "And lo,"))
    return f"{opener} {body}; and it was so."


def augment(text: str, rng: random.Random) -> str:
    return add_typos(swap_synonyms(text, rng), rng, k=2)


OOD_STYLES: dict[str, Callable[[str, random.Random], str]] = {
    "augment": augment,
    "bible": bible,
    "shake": shakespeare,
    "tweet": tweet,
}


# --------------------------------------------------------------------------- R.6 GLUE items

NAMES = ("Maria", "Tom", "Aisha", "Kenji", "Lucas", "Priya", "Omar", "Elena")
PETS = ("her dog", "his dog", "a puppy", "two dogs")
OBJECTS = ("bicycle", "laptop", "guitar", "camera", "sofa")
CAPITALS = (
    ("France", "Paris"),
    ("Japan", "Tokyo"),
    ("Italy", "Rome"),
    ("Egypt", "Cairo"),
    ("Canada", "Ottawa"),
    ("Kenya", "Nairobi"),
    ("Peru", "Lima"),
    ("Norway", "Oslo"),
)
SKILLS = ("Python", "chess", "guitar", "French", "cooking", "swimming")
DAYS = ("Monday", "Tuesday", "Friday")

GlueItem = tuple[dict[str, str], int]
"""(text fields, gold label) — labels as in the official GLUE label map (``data.official.robustness``)."""


def _mnli(rng: random.Random) -> GlueItem:
    name, pet = rng.choice(NAMES), rng.choice(PETS)
    premise = f"{name} is walking {pet} in the park this morning."
    label = rng.randrange(3)
    hyp = (
        f"{name} is outside this morning.",
        f"{name} is walking {pet} to meet a friend.",
        f"{name} is asleep at home this morning.",
    )[label]
    return {"premise": premise, "hypothesis": hyp}, label


def _mnli_mm(rng: random.Random) -> GlueItem:
    day = rng.choice(DAYS)
    premise = f"The city council approved the new library budget at its meeting on {day}."
    label = rng.randrange(3)
    hyp = (
        "The library budget was approved.",
        "The library budget was approved by a large majority.",
        "The city council rejected the library budget.",
    )[label]
    return {"premise": premise, "hypothesis": hyp}, label


def _qnli(rng: random.Random) -> GlueItem:
    country, capital = rng.choice(CAPITALS)
    label = rng.randrange(2)
    sentence = (
        f"The capital of {country} is {capital}, its largest administrative centre.",
        f"{country} has a long history and many famous museums.",
    )[label]
    return {"question": f"What is the capital of {country}?", "sentence": sentence}, label


def _qqp(rng: random.Random) -> GlueItem:
    skill = rng.choice(SKILLS)
    label = rng.randrange(2)
    q2 = (
        f"Why do so many people dislike learning {skill}?",
        f"What is the fastest way to learn {skill}?",
    )[label]
    return {"question1": f"How can I learn {skill} quickly?", "question2": q2}, label


def _rte(rng: random.Random) -> GlueItem:
    name, obj = rng.choice(NAMES), rng.choice(OBJECTS)
    _, city = rng.choice(CAPITALS)
    label = rng.randrange(2)
    hyp = (f"{name} bought a {obj}.", f"{name} sold a {obj} in {city}.")[label]
    return {"sentence1": f"{name} bought a new {obj} in {city} last week.", "sentence2": hyp}, label


def _sst2(rng: random.Random) -> GlueItem:
    sentence, sentiment = rng.choice(SENTIMENT)
    return {"sentence": sentence}, 1 if sentiment == "positive" else 0


GLUE_MAKERS: dict[str, Callable[[random.Random], GlueItem]] = {
    "mnli": _mnli,
    "mnli-mm": _mnli_mm,
    "qnli": _qnli,
    "qqp": _qqp,
    "rte": _rte,
    "sst2": _sst2,
}


def perturb(text: str, dataset: str, rng: random.Random) -> str:
    """AdvGLUE: typos / character swaps. AdvGLUE++: synonym swaps plus a distractor."""
    if dataset == "advglue":
        return add_typos(text, rng, k=2)
    return distract(swap_synonyms(text, rng), rng)
