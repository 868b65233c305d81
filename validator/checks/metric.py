"""A reported number with its interval and, for distances, the human noise floor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from validator.alignment.floor import NoiseFloor, summarize_floor
from validator.bootstrap.weights import Interval, percentile_interval


def _float(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


@dataclass(frozen=True)
class Metric:
    """``estimate`` with a percentile bootstrap ``interval`` and an optional noise ``floor``.

    ``within_floor`` is True when the estimate is at or below the floor's 95th
    percentile: a fresh human sample of the same size would often be this far off.
    """

    estimate: float | None
    interval: Interval | None = None
    floor: NoiseFloor | None = None

    @property
    def within_floor(self) -> bool | None:
        if self.floor is None or self.estimate is None or not np.isfinite(self.floor.p95):
            return None
        return bool(self.estimate <= self.floor.p95)

    def to_dict(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "estimate": self.estimate,
            "low": self.interval.low if self.interval else None,
            "high": self.interval.high if self.interval else None,
        }
        if self.floor is not None:
            block["floor_median"] = _float(self.floor.median)
            block["floor_p95"] = _float(self.floor.p95)
            block["within_floor"] = self.within_floor
        return block


def make_metric(
    estimate: float | None,
    samples: np.ndarray | None,
    level: float,
    floor_samples: np.ndarray | None = None,
) -> Metric:
    """A :class:`Metric` from a point estimate, bootstrap samples and noise-floor samples."""
    interval = percentile_interval(samples, level) if samples is not None else None
    floor = None
    if floor_samples is not None:
        finite = np.asarray(floor_samples, dtype=float)
        floor = summarize_floor(finite) if np.isfinite(finite).any() else None
    return Metric(_float(estimate), interval, floor)
