#!/usr/bin/env bash
# Developer entry point.
#   ./dev.sh test       install everything into .venv (first time), then the whole gate (CI runs
#                       this): ruff, the synth docs check, mypy, the import contract and the full
#                       test suite
#   ./dev.sh test-fast  the inner loop: ruff, mypy, the import contract and the tests not marked
#                       slow, hf or browser
#   ./dev.sh eval   install, then evaluate a small real model on the quick synthetic suite
#   ./dev.sh demo   install, then evaluate the scripted baselines offline (no download needed)
#   ./dev.sh mutate [group ...]  mutation testing (mutmut) of the modules whose bugs change
#                       published numbers; prints the score per module (docs/testing.md)
#   ./dev.sh mutate-sample       the same on ~1/10 of the mutants (those whose number ends in
#                       today's digit), a few minutes
set -euo pipefail
cd "$(dirname "$0")"
VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
  if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ] \
    || [ examples/multitrust-plugin-example/pyproject.toml -nt "$VENV/.installed" ]; then
    python -m pip install -q --upgrade pip
    # torch first and alone: the CPU build; a bare `torch` would pull a multi-GB CUDA build
    python -m pip install -q "torch==2.13.0" || python -m pip install -q torch
    python -m pip install -q -e ".[hf,api,data,scorers,inspect,dev]"
    # the example plugin (docs/extending.md): the tests run it as an installed plugin
    python -m pip install -q -e examples/multitrust-plugin-example
    touch "$VENV/.installed"
  fi
}

cmd="${1:-test}"
shift || true
case "$cmd" in
  test)
    setup
    ruff check src tests benchmarks scripts examples
    ruff format --check src tests benchmarks scripts examples
    python scripts/synth_gallery.py --check
    # the committed judge prompts are the workplace's reference copy, byte for byte (where it exists)
    if [ -f ../shared/reference/judge-prompts.md ]; then
      cmp ../shared/reference/judge-prompts.md tests/scoring/data/judge-prompts.md
    fi
    mypy
    lint-imports  # the floors contract (pyproject.toml [tool.importlinter])
    python -m pytest -q "$@"
    # a tenth of six groups' mutants (today's digit, ~1 min): each must be killed or listed as
    # equivalent in docs/testing.md (the full run is ./dev.sh mutate)
    python scripts/mutate.py --sample "$(( 10#$(date +%j) % 10 ))" -j 2 --fail-under 100 \
      choice iou exports formula aggregate yesno
    ;;
  test-fast)
    setup
    ruff check src tests benchmarks scripts examples
    ruff format --check src tests benchmarks scripts examples
    mypy
    lint-imports  # the floors contract (pyproject.toml [tool.importlinter])
    python -m pytest -q -n auto -m "not slow and not hf and not browser" "$@"
    ;;
  eval)
    setup
    multitrust eval --model "${MODEL:-hf/HuggingFaceTB/SmolVLM-256M-Instruct}" --data synth --size "${SIZE:-20}" "$@"
    multitrust report -o multitrust-report.html || true
    ;;
  demo)
    setup
    for m in scripted/oracle scripted/refuse scripted/comply; do
      multitrust eval --model "$m" --data synth --size "${SIZE:-20}" --quiet "$@" || true
    done
    multitrust report -o multitrust-report.html
    ;;
  mutate)
    setup
    python scripts/mutate.py "$@"
    ;;
  mutate-sample)
    setup
    python scripts/mutate.py --sample "$(( 10#$(date +%j) % 10 ))" "$@"
    ;;
  *)
    echo "usage: ./dev.sh test|test-fast|eval|demo|mutate|mutate-sample [args]" >&2
    exit 2
    ;;
esac
