"""An example multitrust plugin (docs/extending.md walks through it).

* tasks ``example.shapes`` (name the shape; scored by this plugin's ``example.shape_name``
  scorer) and ``example.shapes-yesno`` (a yes/no question; scored by the built-in ``yes_no``),
  each with its own JSONL file and images;
* the scorer ``example.shape_name``;
* the model provider ``toy``: ``toy/look`` looks at the picture, ``toy/<word>`` always answers
  ``<word>``. No network, no weights.
"""

from pathlib import Path

__version__ = "0.1.0"

DATA = Path(__file__).parent / "data"
"""The plugin's own samples (JSONL) and pictures."""
