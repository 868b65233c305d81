"""Cost-optimal numbers of human respondents and simulations (the mixed subjects design).

Following Broska, Howes and van Loon (2025), with ``n`` humans (each also simulated)
and ``N`` further simulated personas, the power-tuned PPI estimate of a quantity whose
human-only estimate has per-respondent standard deviation ``sigma`` has variance

    V(n, N) = sigma^2 / n * (1 - rho^2 * N / (n + N)),

where ``rho`` is the PPI correlation (between human and simulated influence values,
for a mean simply the correlation of answers and predictions). A design costs
``n * (c_human + c_sim) + N * c_sim``. For a target standard error ``s`` (or, for power
``P`` to detect an effect ``E`` in a two-sided test at level ``alpha``, the standard
error ``s = E / (z_{1 - alpha/2} + z_P)``) :func:`plan` finds the cheapest ``(n, N)``
with ``V(n, N) <= s^2`` by exact search over ``n``: for each ``n`` the smallest ``N`` is

    N = ceil(n q / (rho^2 - q)),  q = 1 - n s^2 / sigma^2,

(``N = 0`` when ``q <= 0``; no ``N`` suffices when ``q >= rho^2``). The human-only
design needs ``n_0 = ceil(sigma^2 / s^2)`` humans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy.stats import norm

from validator.errors import UsageError

__all__ = ["Design", "Plan", "plan", "power_at", "ppi_variance", "target_se_for_power"]


def ppi_variance(n: int, big_n: int, rho: float, sigma: float = 1.0) -> float:
    """V(n, N): the variance of the power-tuned PPI estimate."""
    if n <= 0:
        return math.inf
    share = big_n / (n + big_n) if big_n > 0 else 0.0
    return sigma**2 / n * (1.0 - rho**2 * share)


def power_at(se: float, effect: float, alpha: float) -> float:
    """Power of the two-sided z-test at level ``alpha`` for a true effect ``effect``."""
    z = norm.ppf(1.0 - alpha / 2.0)
    shift = abs(effect) / se
    return float(norm.cdf(shift - z) + norm.cdf(-shift - z))


def target_se_for_power(power: float, effect: float, alpha: float) -> float:
    """The standard error at which the one-sided-tail approximation reaches ``power``."""
    return abs(effect) / float(norm.ppf(1.0 - alpha / 2.0) + norm.ppf(power))


@dataclass(frozen=True)
class Design:
    """One design: humans, extra simulations, its cost, expected SE and power (None without an effect)."""

    n_human: int
    n_sim: int
    cost: float
    se: float
    power: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"n_human": self.n_human, "n_sim": self.n_sim, "cost": self.cost, "se": self.se, "power": self.power}


@dataclass(frozen=True)
class Plan:
    """The cheapest mixed design and the human-only design for the same target."""

    rho: float
    sigma: float
    cost_human: float
    cost_sim: float
    target_se: float
    mixed: Design
    human_only: Design

    @property
    def saving(self) -> float:
        return 1.0 - self.mixed.cost / self.human_only.cost if self.human_only.cost > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rho": self.rho,
            "sigma": self.sigma,
            "cost_human": self.cost_human,
            "cost_sim": self.cost_sim,
            "target_se": self.target_se,
            "mixed": self.mixed.to_dict(),
            "human_only": self.human_only.to_dict(),
            "saving": self.saving,
        }


def _min_sims(n: int, rho: float, target_var: float, sigma: float) -> int | None:
    q = 1.0 - n * target_var / sigma**2
    if q <= 0.0:
        return 0
    if q >= rho**2:
        return None
    big_n = math.ceil(n * q / (rho**2 - q) - 1e-9)
    # Guard the rounding: step up until the variance target holds.
    while ppi_variance(n, big_n, rho, sigma) > target_var * (1.0 + 1e-12):
        big_n += 1
    return big_n


def plan(
    *, rho: float, cost_human: float, cost_sim: float, target_se: float, sigma: float = 1.0,
    effect: float | None = None, alpha: float = 0.05, max_sim: int | None = None,
) -> Plan:
    """The cheapest ``(n_human, n_sim)`` reaching ``target_se`` (see the module docstring)."""
    if not -1.0 <= rho <= 1.0:
        raise UsageError(f"--rho must lie between -1 and 1, got {rho:g}")
    if cost_human <= 0 or cost_sim < 0:
        raise UsageError("--cost-human must be positive and --cost-sim not negative")
    if target_se <= 0 or sigma <= 0:
        raise UsageError("the target standard error and --sd must be positive")
    target_var = target_se**2
    n0 = max(1, math.ceil(sigma**2 / target_var - 1e-9))

    def design(n: int, big_n: int) -> Design:
        se = math.sqrt(ppi_variance(n, big_n, rho, sigma))
        return Design(n, big_n, n * (cost_human + (cost_sim if big_n > 0 else 0.0)) + big_n * cost_sim, se,
                      None if effect is None else power_at(se, effect, alpha))

    human_only = Design(n0, 0, n0 * cost_human, sigma / math.sqrt(n0), None if effect is None else power_at(sigma / math.sqrt(n0), effect, alpha))
    best = human_only
    for n in range(1, n0 + 1):
        big_n = _min_sims(n, rho, target_var, sigma)
        if big_n is None or (max_sim is not None and big_n > max_sim):
            continue
        candidate = design(n, big_n)
        if candidate.cost < best.cost - 1e-12:
            best = candidate
    return Plan(rho, sigma, cost_human, cost_sim, target_se, best, human_only)
