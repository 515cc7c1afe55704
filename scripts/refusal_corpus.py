"""Generate the labelled refusal corpus (multitrust issue #22) from hand-written templates.

Run from the repository root: ``python scripts/refusal_corpus.py`` (``--check`` compares with
the committed files instead of writing). Output: ``benchmarks/data/refusal/corpus/*.jsonl``,
one answer per line with its label, category, template id, language and split.

Splits hold out whole phrasings, so the test figures measure generalisation, not memory:

* ``test-categories``: every answer of the categories in :data:`HELD_OUT_CATEGORIES` (no
  template of theirs is in any other split);
* of the other categories, each (category, language)'s templates are shuffled (seeded) and
  dealt 60 / 20 / 20 % to ``train``, ``val`` and ``test-templates``: a template's answers
  all land in the same split, so val and test phrasings were never trained on.

Fillers (topics, PII kinds, image descriptions …) and the openers/closers are shared by all
splits: what is held out is the phrasing of the refusal or answer itself.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from refusal_fillers import CLOSE_ANSWER, CLOSE_REFUSAL, FILL, OPEN_ANSWER, OPEN_REFUSAL
from refusal_templates import ANSWER, REFUSAL

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "refusal" / "corpus"
SEED = 22
SPLITS = ("train", "val", "test-templates", "test-categories")
HELD_OUT_CATEGORIES = ("policy-subject", "lecture-late", "refusal-words", "privacy-leak")
#: answers generated per (category, language) before de-duplication
PER_CELL = {"en": 110, "de": 24, "fr": 24, "es": 24, "zh": 24}
TASKS = {
    "pref-decline": ("F.5", "F.7"),
    "pref-pick": ("F.5", "F.7"),
    "stereo-decline": ("F.4",),
    "stereo-agree": ("F.4",),
    "privacy-decline": ("P.4", "P.5", "P.6"),
    "mention": ("P.4", "P.5", "P.6"),
    "privacy-leak": ("P.4", "P.5", "P.6"),
    "describe": ("T.2", "R.1", "S.2", "P.3"),
    "list": ("T.2", "R.1", "S.2"),
    "code": ("S.4", "R.1"),
    "yes-no": ("T.2", "P.1", "F.6"),
    "number": ("T.2", "R.1"),
    "refusal-words": ("T.2", "R.1", "S.2"),
    "hedge-answer": ("T.2", "P.3", "R.1"),
    "risk-warning": ("S.2",),
    "chat": ("T.2", "R.1", "F.6", "P.3"),
    "negated-fact": ("T.2", "R.1", "P.1"),
}
_SLOT = re.compile(r"\{([A-Za-z_0-9]+)\}")
_NO_WRAP = {"curt", "yes-no", "number", "code", "mention"}


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fill(template: str, lang: str, rng: random.Random) -> str:
    fill = FILL[lang]
    chosen: dict[str, str] = {}
    if "ab" in fill:
        a, b = rng.choice(fill["ab"]).split("|")
        chosen.update(a=a, b=b, A=_cap(a))

    def one(m: re.Match[str]) -> str:
        slot = m.group(1)
        if slot in chosen:
            return chosen[slot]
        base = slot.lower()
        if base.endswith("_l"):
            base = base[:-2]
        if base == "desc2":
            base = "desc"
        key = slot if slot in fill else base
        value = rng.choice(fill[key])
        if slot.endswith("_l"):
            value = value[:1].lower() + value[1:]
        elif slot[0].isupper() and key != slot:
            value = _cap(value)
        chosen[slot] = value
        return value

    return _SLOT.sub(one, template)


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([.,;:!?])", r"\1", text)
    return text.strip()


def _deal(templates: list[str], rng: random.Random) -> list[str]:
    """The split of each template, by position (the list is shuffled by the caller)."""
    n = len(templates)
    if n == 1:
        return ["train"]
    if n == 2:
        return ["train", "test-templates"]
    n_val = max(1, round(0.2 * n))
    n_test = max(1, round(0.2 * n))
    return ["val"] * n_val + ["test-templates"] * n_test + ["train"] * (n - n_val - n_test)


def independent_texts() -> set[str]:
    """The answers of the independent sets (``benchmarks/data/refusal/*.jsonl``): a generated
    answer that happens to equal one ("No.", "Yes.") is left out, so no answer the model trains
    on is also one it is checked on."""
    out: set[str] = set()
    for path in sorted(OUT.parent.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            out |= {str(json.loads(line)["text"]) for line in fh if line.strip()}
    return out


def generate(seed: int = SEED) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    seen: set[str] = independent_texts()
    for label, table in ((1, REFUSAL), (0, ANSWER)):
        for cat, by_lang in table.items():
            for lang, templates in by_lang.items():
                rng = random.Random(f"{seed}:{cat}:{lang}")
                order = list(range(len(templates)))
                rng.shuffle(order)
                dealt = dict(zip(order, _deal(templates, rng), strict=True))
                for k in range(PER_CELL[lang]):
                    i = k % len(templates)
                    split = "test-categories" if cat in HELD_OUT_CATEGORIES else dealt[i]
                    core = _fill(templates[i], lang, rng)
                    if cat not in _NO_WRAP:
                        opens, closes = (
                            (OPEN_REFUSAL, CLOSE_REFUSAL) if label else (OPEN_ANSWER, CLOSE_ANSWER)
                        )
                        core = rng.choice(opens[lang]) + core + rng.choice(closes[lang])
                    text = _tidy(core)
                    if text in seen:
                        continue
                    seen.add(text)
                    rows.append(
                        {
                            "id": f"r{len(rows):05d}",
                            "label": label,
                            "category": cat,
                            "template": f"{cat}/{lang}/{i}",
                            "lang": lang,
                            "split": split,
                            "task": rng.choice(TASKS.get(cat, ("S.4", "S.5", "S.6"))),
                            "text": text,
                        }
                    )
    return rows


def render(rows: list[dict[str, object]]) -> dict[str, str]:
    return {
        s: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows if r["split"] == s)
        for s in SPLITS
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    files = render(generate(args.seed))
    if args.check:
        stale = [s for s, t in files.items() if (OUT / f"{s}.jsonl").read_text("utf-8") != t]
        print("corpus up to date" if not stale else f"corpus differs: {stale}")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for split, text in files.items():
        (OUT / f"{split}.jsonl").write_text(text, encoding="utf-8")
        print(f"{split}: {text.count(chr(10))} answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
