"""A reported number with its interval and, for distances, the noise floor."""

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
    """``estimate`` with its ``interval`` and an optional noise ``floor``.

    For a distance, ``estimate`` is bias-corrected and ``plug_in`` is the raw
    sample distance (:mod:`validator.alignment.uncertainty`); the noise floor
    describes plug-in distances between two samples of one population, so
    ``within_floor`` compares the plug-in with the floor's 95th percentile.
    ``interval_method`` names how the interval was made; ``low_coverage`` is
    True when it rests on too few rows for its coverage to be trusted.
    """

    estimate: float | None
    interval: Interval | None = None
    floor: NoiseFloor | None = None
    plug_in: float | None = None
    interval_method: str | None = None
    low_coverage: bool | None = None

    @property
    def statistic(self) -> float | None:
        """The value compared with the floor: the plug-in when there is one, else the estimate."""
        return self.plug_in if self.plug_in is not None else self.estimate

    @property
    def within_floor(self) -> bool | None:
        value = self.statistic
        if self.floor is None or value is None or not np.isfinite(self.floor.p95):
            return None
        return bool(value <= self.floor.p95)

    def to_dict(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "estimate": self.estimate,
            "low": self.interval.low if self.interval else None,
            "high": self.interval.high if self.interval else None,
        }
        if self.plug_in is not None or self.interval_method is not None:
            block["plug_in"] = self.plug_in
            block["interval_method"] = self.interval_method
            block["low_coverage"] = self.low_coverage
        if self.floor is not None:
            block["floor_median"] = _float(self.floor.median)
            block["floor_p95"] = _float(self.floor.p95)
            block["within_floor"] = self.within_floor
        return block


def summarize_floor_samples(floor_samples: np.ndarray | None) -> NoiseFloor | None:
    """The floor summary of the samples, or None without any finite one."""
    if floor_samples is None:
        return None
    finite = np.asarray(floor_samples, dtype=float)
    return summarize_floor(finite) if np.isfinite(finite).any() else None


def make_metric(
    estimate: float | None,
    samples: np.ndarray | None,
    level: float,
    floor_samples: np.ndarray | None = None,
) -> Metric:
    """A :class:`Metric` from a point estimate, percentile bootstrap samples and noise-floor samples."""
    interval = percentile_interval(samples, level) if samples is not None else None
    return Metric(_float(estimate), interval, summarize_floor_samples(floor_samples))
