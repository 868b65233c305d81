"""The result of ``simval check``: what was read, what was fitted, what was recovered.

These records are computed once by :func:`validator.check`; the terminal output,
the JSON file and the report only format them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from validator._version import __version__
from validator.io.ingest import Dataset
from validator.models.types import ModelFit
from validator.provenance import display_path
from validator.recovery.records import RecoveryResult

if TYPE_CHECKING:
    from validator.coherence.check import CoherenceResult
    from validator.alignment.check import DistributionResult
    from validator.heterogeneity.check import HeterogeneityResult
    from validator.recovery.uncertainty import RecoveryUncertainty
    from validator.gates.records import GateResult

if TYPE_CHECKING:
    import pandas as pd

#: Version of the JSON layout written by ``--json`` (see docs/results-json.md).
SCHEMA_VERSION = "1"


def dataset_block(dataset: Dataset) -> dict[str, Any]:
    """The JSON block describing one input file and what became of its rows."""
    return {
        "label": dataset.label,
        "source": display_path(dataset.source),
        "format": dataset.format,
        "sha256": dataset.sha256,
        "n_rows_read": dataset.n_rows_read,
        "n_used": dataset.n_used,
        "n_set_aside": dataset.n_set_aside,
        "set_aside_by_reason": dataset.set_aside_by_reason(),
        "set_aside": [item.to_dict() for item in dataset.set_aside],
        "columns": {canonical: found for canonical, found in dataset.column_sources},
        "absent_optional_columns": list(dataset.absent_optional),
        "extra_columns": list(dataset.extra_columns),
    }


def fit_block(fit: ModelFit) -> dict[str, Any]:
    """The JSON block of one fitted (or not estimable) model."""
    block = asdict(fit)
    block["coefficients"] = [asdict(c) for c in fit.coefficients]
    return block


@dataclass(frozen=True)
class SimulationResult:
    """Everything simval found for one simulated dataset against the human reference."""

    dataset: Dataset
    fits: tuple[ModelFit, ...]
    recovery: RecoveryResult
    recovery_uncertainty: RecoveryUncertainty | None = None
    distribution: DistributionResult | None = None
    heterogeneity: tuple[HeterogeneityResult, ...] = ()
    coherence: tuple[CoherenceResult, ...] = ()
    gates: tuple[GateResult, ...] = ()
    fail_on: str = "error"

    @property
    def label(self) -> str:
        return self.dataset.label

    @property
    def passed(self) -> bool:
        """True when every gate of a failing severity passes (errors; warnings too with fail_on 'warning')."""
        failing = {"error"} if self.fail_on == "error" else {"error", "warning"}
        return all(g.passed for g in self.gates if g.severity in failing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "passed": self.passed,
            "gates": [g.to_dict() for g in self.gates],
            "dataset": dataset_block(self.dataset),
            "models": [fit_block(f) for f in self.fits],
            "recovery": self.recovery_block(),
            "distribution": self.distribution.to_dict() if self.distribution else None,
            "heterogeneity": {h.name: h.to_dict() for h in self.heterogeneity},
            "coherence": {c.name: c.to_dict() for c in self.coherence},
        }

    def recovery_block(self) -> dict[str, Any]:
        """The recovery totals, models and coefficients, with bootstrap intervals and equal-n recovery."""
        block = self.recovery.to_dict()
        uncertainty = self.recovery_uncertainty.to_dict() if self.recovery_uncertainty else None
        block["intervals"] = uncertainty["intervals"] if uncertainty else None
        block["equal_n"] = uncertainty["equal_n"] if uncertainty else None
        block["replicate_fits"] = uncertainty["replicate_fits"] if uncertainty else None
        return block


@dataclass(frozen=True)
class CheckResult:
    """The result of checking one human dataset against one or more simulated datasets."""

    spec_name: str
    spec_title: str
    spec_source: str
    spec_sha256: str
    alpha: float
    correction: dict[str, str]
    seed: int
    bootstrap: dict[str, Any]
    human: Dataset
    human_fits: tuple[ModelFit, ...]
    simulations: tuple[SimulationResult, ...]
    gates_declared: int = 0
    simval_version: str = field(default=__version__)

    @property
    def passed(self) -> bool:
        """True when every simulated dataset passes its gates."""
        return all(sim.passed for sim in self.simulations)

    def simulation(self, label: str) -> SimulationResult:
        for sim in self.simulations:
            if sim.label == label:
                return sim
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        """All results as plain data, in the layout documented in docs/results-json.md."""
        return {
            "schema_version": SCHEMA_VERSION,
            "simval_version": self.simval_version,
            "spec": {
                "name": self.spec_name,
                "title": self.spec_title,
                "source": self.spec_source if self.spec_source.startswith("bundled:") else display_path(self.spec_source),
                "sha256": self.spec_sha256,
                "alpha": self.alpha,
                "correction": self.correction,
            },
            "seed": self.seed,
            "bootstrap": self.bootstrap,
            "passed": self.passed,
            "human": {"dataset": dataset_block(self.human), "models": [fit_block(f) for f in self.human_fits]},
            "simulations": [sim.to_dict() for sim in self.simulations],
        }

    def to_json(self) -> str:
        """Deterministic JSON text of :meth:`to_dict`."""
        from validator.jsonable import dumps

        return dumps(self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient per simulated dataset (the per-coefficient recovery table)."""
        import pandas as pd

        frames = []
        for sim in self.simulations:
            frame = sim.recovery.to_frame()
            frame.insert(0, "simulation", sim.label)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def leaderboard(self) -> pd.DataFrame:
        """One row per simulated dataset with the recovery totals (Table 2 layout)."""
        import pandas as pd

        rows = [{"simulation": sim.label, **sim.recovery.summary.to_dict()} for sim in self.simulations]
        return pd.DataFrame(rows)
