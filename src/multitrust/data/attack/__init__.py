"""Adversarial images for R.4 / R.5: the benchmark's SSA-CommonWeakness transfer attack
against an ensemble of CLIP-family surrogates, on the official images or any labelled folder
(``multitrust data attack``; docs/attack.md).

:mod:`.ssa_cwa` is the algorithm, :mod:`.surrogates` loads the encoders (transformers or
open_clip), :mod:`.inputs` reads what to attack, :mod:`.run` writes the official layout
resumably. torch (and open_clip) are imported only when an attack runs.
"""

from multitrust.data.attack.inputs import ADV_DIR, Item, folder_items, official_items, read_classes
from multitrust.data.attack.run import (
    MODES,
    AttackJob,
    Summary,
    attack_batch,
    check_images,
    check_output,
    run_attack,
)
from multitrust.data.attack.ssa_cwa import AttackSettings, ssa_cwa
from multitrust.data.attack.surrogates import (
    PAPER_SURROGATES,
    Surrogate,
    load_surrogate,
    resolve_spec,
    spec_name,
)

__all__ = [
    "ADV_DIR",
    "MODES",
    "PAPER_SURROGATES",
    "AttackJob",
    "AttackSettings",
    "Item",
    "Summary",
    "Surrogate",
    "attack_batch",
    "check_images",
    "check_output",
    "folder_items",
    "load_surrogate",
    "official_items",
    "read_classes",
    "resolve_spec",
    "run_attack",
    "spec_name",
    "ssa_cwa",
]
