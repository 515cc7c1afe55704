"""What to attack (labels files, class lists, surrogate specs) and the command's one-line errors.

No torch here: every error below is found before a surrogate is loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from multitrust.data.attack import (
    PAPER_SURROGATES,
    AttackSettings,
    folder_items,
    official_items,
    read_classes,
    resolve_spec,
)
from multitrust.errors import ConfigError, DataError
from tests.attack import tiny


def _folder(tmp_path: Path, rows: str, name: str = "labels.csv") -> tuple[Path, Path]:
    tiny.images(tmp_path / "imgs", 3)
    labels = tmp_path / name
    labels.write_text(rows, encoding="utf-8")
    return tmp_path / "imgs", labels


def test_official_layout_rows(tmp_path: Path) -> None:
    items = official_items(tiny.official_layout(tmp_path, 3))
    assert [(i.name, i.label, i.target) for i in items] == [
        ("img00.png", "cat", "car"),
        ("img01.png", "dog", "tree"),
        ("img02.png", "bomb", "bird"),
    ]
    assert items[0].path.name == "img00.png" and "clean" in str(items[0].path)


def test_csv_labels_with_drawn_targets_are_seeded(tmp_path: Path) -> None:
    folder, labels = _folder(
        tmp_path, "image,label,target\nimg00.png,cat,dog\nimg01.png,dog,\nimg02.png,bird,\n"
    )
    a = folder_items(folder, labels, seed=0)
    assert a[0].target == "dog"  # given
    assert all(i.target != i.label for i in a)
    assert all(i.target in {"cat", "dog", "bird"} for i in a)
    assert [i.target for i in folder_items(folder, labels, seed=0)] == [i.target for i in a]
    draws = {tuple(i.target for i in folder_items(folder, labels, seed=s)) for s in range(8)}
    assert len(draws) > 1  # the seed picks the targets


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("labels.json", json.dumps({"img00.png": "cat", "img01.png": "dog"})),
        (
            "labels.json",
            json.dumps(
                [
                    {"image": "img00.png", "label": "cat", "target": "dog"},
                    {"image": "img01.png", "label": "dog"},
                ]
            ),
        ),
        (
            "labels.jsonl",
            '{"image": "img00.png", "label": "cat"}\n{"image": "img01.png", "label": "dog"}\n',
        ),
    ],
)
def test_json_label_forms(tmp_path: Path, name: str, text: str) -> None:
    folder, labels = _folder(tmp_path, text, name)
    items = folder_items(folder, labels)
    assert [(i.name, i.label) for i in items] == [("img00.png", "cat"), ("img01.png", "dog")]
    assert [i.target for i in items] == ["dog", "cat"]  # the only other class


def test_classes_file_checks_labels_and_feeds_targets(tmp_path: Path) -> None:
    folder, labels = _folder(tmp_path, "image,label\nimg00.png,cat\n")
    (tmp_path / "classes.txt").write_text("cat\ndog\n\nbird\n", encoding="utf-8")
    classes = read_classes(tmp_path / "classes.txt")
    assert classes == ["cat", "dog", "bird"]
    assert folder_items(folder, labels, classes=classes)[0].target in {"dog", "bird"}
    bad = tmp_path / "bad.csv"
    bad.write_text("image,label\nimg00.png,cat\nimg01.png,zebra\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv:3: bad label: unknown class 'zebra'"):
        folder_items(folder, bad, classes=classes)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ("", "no labels"),
        ("image,label\n", "no labels"),
        ("image,label\nimg00.png,\n", r":2: bad label: 'label' is missing or empty"),
        ("image,label\nimg00.png,cat\n", "no other class to draw a target from"),
        ("image,label\nnope.png,cat\nimg01.png,dog\n", r":2: image not found"),
        ("image,label\n../x.png,cat\nimg01.png,dog\n", r"escapes"),
        ("image,label\nimg00.png,cat\nimg00.jpg,dog\n", "same output name"),
        ("image\nimg00.png\n", "missing column"),
    ],
)
def test_bad_labels_are_one_line_errors(tmp_path: Path, rows: str, match: str) -> None:
    folder, labels = _folder(tmp_path, rows)
    (folder / "img00.jpg").write_bytes((folder / "img00.png").read_bytes())
    with pytest.raises(DataError, match=match):
        folder_items(folder, labels)


def test_surrogate_specs(tmp_path: Path) -> None:
    assert len(PAPER_SURROGATES) == 6
    assert resolve_spec("openai-vit-l-14") == ("hf", "openai/clip-vit-large-patch14")
    assert resolve_spec("siglip-so400m") == ("open_clip", "hf-hub:timm/ViT-SO400M-14-SigLIP-384")
    assert resolve_spec("hf:google/siglip-base-patch16-224") == (
        "hf",
        "google/siglip-base-patch16-224",
    )
    assert resolve_spec("open_clip:ViT-B-32/laion2b_s34b_b79k") == (
        "open_clip",
        "ViT-B-32/laion2b_s34b_b79k",
    )
    assert resolve_spec("org/name") == ("hf", "org/name")
    (tmp_path / "oc").mkdir()
    (tmp_path / "oc" / "open_clip_config.json").write_text("{}")
    (tmp_path / "tf").mkdir()
    assert resolve_spec(str(tmp_path / "oc")) == ("open_clip", f"local-dir:{tmp_path / 'oc'}")
    assert resolve_spec(str(tmp_path / "tf")) == ("hf", str(tmp_path / "tf"))
    for bad in ("/no/such/dir", "just-a-word", "hf:"):
        with pytest.raises(ConfigError, match="surrogate"):
            resolve_spec(bad)


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"epsilon=0, steps=0"):
        AttackSettings(epsilon=0, steps=0)


# --------------------------------------------------------------------------- the command


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "multitrust"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "multitrust.cli"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run(
        [*cmd, "data", "attack", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _one_line_error(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and needle in lines[0], lines[0]


@pytest.mark.slow
def test_cli_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    tiny.official_layout(tmp_path / "in", 2)
    folder, _ = _folder(tmp_path, "image,label\nimg00.png,cat\nimg01.png,zebra\n")
    (tmp_path / "classes.txt").write_text("cat\ndog\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (folder / "broken.png").write_bytes(b"not an image at all")
    (tmp_path / "broken.csv").write_text("image,label\nimg00.png,cat\nbroken.png,dog\n")
    cases = [
        (
            ("out", "--official", "in", "-s", str(tmp_path / "no-such-surrogate")),
            "no such directory",
        ),
        (
            (
                "out",
                "--images",
                "imgs",
                "--labels",
                "labels.csv",
                "--classes",
                "classes.txt",
                "-s",
                "x",
            ),
            "unknown class 'zebra'",
        ),
        (("out", "--images", "imgs", "--labels", "empty.csv"), "no labels"),
        (("out", "--images", "imgs", "--labels", "broken.csv"), "unreadable image"),
        (("out", "--images", "imgs"), "--images needs --labels"),
        (("out",), "give either --official"),
        (("out", "--official", "in", "--steps", "3", "--epsilon", "0"), "epsilon=0"),
    ]
    for args, needle in cases:
        _one_line_error(_cli(*args, cwd=tmp_path), needle)
    assert not (tmp_path / "out" / "robustness" / "adv_nips" / "label.json").exists()


@pytest.mark.hf
@pytest.mark.slow
def test_cli_writes_a_dataset_that_verifies_and_resumes(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    clip = tiny.tiny_clip(tmp_path / "clip", seed=3)
    _folder(tmp_path, "image,label\nimg00.png,cat\nimg01.png,dog\nimg02.png,bird\n")
    args = ("out", "--images", "imgs", "--labels", "labels.csv", "-s", str(clip))
    fast = ("--steps", "2", "--spectrum-samples", "1", "--seed", "5", "--quiet")
    res = _cli(*args, *fast, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "3 images attacked, 0 already done" in res.stdout
    adv = tmp_path / "out" / "robustness" / "adv_nips"
    rows = [json.loads(line) for line in (adv / "label.json").read_text().splitlines()]
    assert [r["image_name"] for r in rows] == ["img00.png", "img01.png", "img02.png"]
    assert all(r["target"][0] != r["untarget"][0] for r in rows)
    first = {p.name: p.read_bytes() for p in (adv / "source" / "target").iterdir()}
    again = _cli(*args, *fast, cwd=tmp_path)
    assert again.returncode == 0 and "0 images attacked, 3 already done" in again.stdout
    assert {p.name: p.read_bytes() for p in (adv / "source" / "target").iterdir()} == first
    other = _cli(*args, "--steps", "3", "--spectrum-samples", "1", "--seed", "5", cwd=tmp_path)
    _one_line_error(other, "other settings (settings)")
    env = {**os.environ, "COLUMNS": "200"}
    verify = subprocess.run(
        [sys.executable, "-m", "multitrust.cli", "data", "verify", "out", "--tasks", "R.4,R.5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
