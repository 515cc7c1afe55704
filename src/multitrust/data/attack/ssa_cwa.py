"""SSA-CommonWeakness: the transfer attack behind the benchmark's R.4 / R.5 images.

Two published methods, combined as the MultiTrust toolbox combines them
(``mmte/utils/SSA.py``; docs/attack.md has the maths and where we differ):

* **Spectrum Simulation Attack** (SSA; Long et al., ECCV 2022): a surrogate's gradient is
  averaged over ``spectrum_samples`` random "spectrum views" of the image: Gaussian noise
  (``sigma``) is added, the sum is taken to the 2-D DCT domain, every frequency is scaled by a
  random factor in ``[1 - rho, 1 + rho]`` and the result taken back. The gradient is read at
  each view and averaged, which simulates surrogates with different frequency sensitivities.
* **Common Weakness Attack** (CWA; Chen et al., ICLR 2024, "Rethinking model ensemble in
  transfer-based adversarial attacks"): each outer iteration walks the surrogates one after
  the other (inner steps of size ``inner_step`` along the L2-normalised SSA gradient, with
  momentum), then takes one signed outer step of size ``step`` from where the iteration began,
  along the momentum of the inner walk's total displacement (normalised by its L1 norm). The
  optional sharpness-aware reverse step (``reverse_step`` > 0) first steps *down* the ensemble's
  objective so that the inner walk starts from a flatter point.

Everything is per image: norms, momenta and random draws (one ``torch.Generator`` per image),
so an image's result does not depend on which other images share its batch. Every iterate is
projected onto the L∞ ball of radius ``epsilon`` around the input and onto ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["AttackSettings", "Objective", "Spectrum", "ssa_cwa"]

Tensor = Any  # torch.Tensor (torch is an optional dependency, typed as Any)

Objective = Callable[[Tensor], Tensor]
"""``objective(images) -> (B,)``: what the attack raises, for a batch of images in [0, 1]."""

Trace = Callable[[int, Tensor], None]
"""``trace(iteration, values)`` with ``values`` of shape (surrogates, B), after each iteration."""


@dataclass(frozen=True)
class AttackSettings:
    """The attack's parameters; the defaults are the benchmark's (docs/attack.md)."""

    epsilon: float = 16 / 255
    """L∞ radius around the input image (pixel values in [0, 1])."""
    step: float = 1 / 255
    """Outer (signed) step size per iteration."""
    steps: int = 50
    """Outer iterations."""
    spectrum_samples: int = 20
    """SSA spectrum views averaged per surrogate gradient (0: the plain gradient)."""
    rho: float = 0.5
    """SSA spectrum mask: each DCT coefficient is scaled by U[1 - rho, 1 + rho]."""
    sigma: float = 16 / 255
    """SSA Gaussian noise standard deviation, added before the DCT."""
    inner_step: float = 250.0
    """CWA inner step along the L2-normalised gradient (large: the ε-ball projection bounds it)."""
    momentum: float = 1.0
    """Decay of the inner and outer momenta."""
    reverse_step: float = 0.0
    """CWA's sharpness-aware reverse step (0: off, as in the toolbox; the paper uses 16/255/15)."""

    def __post_init__(self) -> None:
        checks = {
            "epsilon": 0 < self.epsilon <= 1,
            "step": 0 < self.step <= 1,
            "steps": self.steps >= 1,
            "spectrum_samples": self.spectrum_samples >= 0,
            "rho": 0 <= self.rho <= 1,
            "sigma": self.sigma >= 0,
            "inner_step": self.inner_step >= 0,
            "momentum": self.momentum >= 0,
            "reverse_step": 0 <= self.reverse_step <= 1,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            from multitrust.errors import ConfigError

            values = ", ".join(f"{k}={getattr(self, k)!r}" for k in bad)
            raise ConfigError(f"attack settings out of range: {values}")

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class Spectrum:
    """Orthonormal 2-D DCT-II and its inverse by matrix products (cached per size and device):
    ``dct(x) = C_h x C_wᵀ``, ``idct(X) = C_hᵀ X C_w``."""

    def __init__(self) -> None:
        self._mats: dict[tuple[int, str, str], Tensor] = {}

    def matrix(self, n: int, like: Tensor) -> Tensor:
        key = (n, str(like.device), str(like.dtype))
        if key not in self._mats:
            import math

            import torch

            k = torch.arange(n, dtype=torch.float64)[:, None]
            i = torch.arange(n, dtype=torch.float64)[None, :]
            c = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
            c[0] /= math.sqrt(2)
            self._mats[key] = c.to(device=like.device, dtype=like.dtype)
        return self._mats[key]

    def dct(self, x: Tensor) -> Tensor:
        ch, cw = self.matrix(x.shape[-2], x), self.matrix(x.shape[-1], x)
        return ch @ x @ cw.T

    def idct(self, x: Tensor) -> Tensor:
        ch, cw = self.matrix(x.shape[-2], x), self.matrix(x.shape[-1], x)
        return ch.T @ x @ cw

    def view(self, x: Tensor, noise: Tensor, mask: Tensor) -> Tensor:
        """One spectrum view: ``idct(dct(x + noise) * mask)``."""
        return self.idct(self.dct(x + noise) * mask)


def _draw(gens: Sequence[Any], shape: Sequence[int], like: Tensor, kind: str) -> Tensor:
    """One draw per image from its own CPU generator (the same numbers on any device)."""
    import torch

    fn = torch.randn if kind == "normal" else torch.rand
    out = torch.stack([fn(tuple(shape), generator=g, dtype=torch.float32) for g in gens])
    return out.to(device=like.device, dtype=like.dtype)


def _per_image(v: Tensor, p: int) -> Tensor:
    """The per-image L``p`` norm of ``v``, shaped to broadcast over (B, C, H, W)."""
    return v.flatten(1).norm(p=p, dim=1).view(-1, 1, 1, 1)


def _grad(objective: Objective, x: Tensor) -> Tensor:
    import torch

    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(objective(x).sum(), x)
    return g


def _ssa_grad(
    objective: Objective, x: Tensor, s: AttackSettings, gens: Sequence[Any], spec: Spectrum
) -> Tensor:
    """The surrogate's gradient averaged over SSA spectrum views, each read at the view."""
    if s.spectrum_samples == 0:
        return _grad(objective, x)
    import torch

    total = torch.zeros_like(x)
    for _ in range(s.spectrum_samples):
        noise = _draw(gens, x.shape[1:], x, "normal") * s.sigma
        mask = _draw(gens, x.shape[1:], x, "uniform") * (2 * s.rho) + (1 - s.rho)
        with torch.no_grad():
            view = spec.view(x, noise, mask)
        total += _grad(objective, view)
    return total / s.spectrum_samples


def ssa_cwa(
    images: Tensor,
    objectives: Sequence[Objective],
    settings: AttackSettings,
    generators: Sequence[Any],
    *,
    trace: Trace | None = None,
) -> Tensor:
    """Attack a batch ``images`` (B, 3, H, W) in [0, 1]; returns the adversarial batch.

    ``objectives``: one per surrogate, each raised by the attack. ``generators``: one seeded
    CPU ``torch.Generator`` per image. ``trace`` (optional) receives each objective's values
    after every outer iteration (one extra forward pass per surrogate and iteration).
    """
    import torch

    if len(generators) != images.shape[0]:
        raise ValueError("one generator per image")
    if not objectives:
        raise ValueError("no surrogate objectives")
    s = settings
    spec = Spectrum()
    x0 = images.detach()
    lo, hi = (x0 - s.epsilon).clamp(0, 1), (x0 + s.epsilon).clamp(0, 1)

    def project(x: Tensor) -> Tensor:
        return torch.minimum(torch.maximum(x.clamp(0, 1), lo), hi)

    adv = x0.clone()
    inner = torch.zeros_like(x0)
    outer = torch.zeros_like(x0)
    for t in range(s.steps):
        if s.reverse_step > 0:  # sharpness-aware: down the ensemble objective first
            g = sum(_grad(f, adv) for f in objectives)
            adv = project(adv - s.reverse_step * g.sign())
        start = adv.clone()
        for f in objectives:  # the inner walk, one surrogate after the other
            g = _ssa_grad(f, adv, s, generators, spec)
            inner = s.momentum * inner + g / (_per_image(g, 2) + 1e-5)
            adv = project(adv + s.inner_step * inner)
        moved = adv - start
        outer = s.momentum * outer + moved / (_per_image(moved, 1) + 1e-12)
        adv = project(start + s.step * outer.sign())
        if trace is not None:
            with torch.no_grad():
                trace(t, torch.stack([f(adv) for f in objectives]).detach())
    return adv.detach()
