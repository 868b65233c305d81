"""The result of ``simval check``: what was read, what was fitted, what was recovered.

These records are computed once by :func:`validator.check`; the terminal output,
the JSON file and the report only format them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from validator._version import __version__
from validator.io.ingest import Dataset
from validator.models.types import ModelFit
from validator.provenance import display_path
from validator.recovery.records import RecoveryResult

if TYPE_CHECKING:
    from validator.alignment.check import DistributionResult
    from validator.checks.record import MetricValue
    from validator.coherence.check import CoherenceResult
    from validator.gates.records import GateResult
    from validator.heterogeneity.check import HeterogeneityResult
    from validator.recovery.check import RecoveryCheck
    from validator.recovery.uncertainty import RecoveryUncertainty
    from validator.verdict.decide import Verdict

if TYPE_CHECKING:
    import pandas as pd

    from validator.checks.context import CheckContext
    from validator.spec.model import CorrectionSpec

#: Version of the JSON layout written by ``--json`` (see docs/results-json.md).
SCHEMA_VERSION = "2"


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


#: One check's records for one simulated dataset: (item name, record) pairs; the item name
#: is "" for checks that run once.
Records = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, repr=False)
class SimulationResult:
    """Everything simval found for one simulated dataset against the human reference.

    ``records`` maps each check's name (registry order) to its records; ``verdict``
    is the dataset's verdict, from its gates or the default rules.
    """

    dataset: Dataset
    records: Mapping[str, Records]
    gates: tuple[GateResult, ...] = ()
    verdict: Verdict | None = None
    fail_on: str = "error"

    @property
    def label(self) -> str:
        return self.dataset.label

    @property
    def passed(self) -> bool:
        """False when the verdict fails (or is inconclusive under ``fail_on='inconclusive'``)."""
        from validator.verdict.decide import passes

        return self.verdict is None or passes(self.verdict, self.fail_on)  # type: ignore[arg-type]

    def records_of(self, name: str) -> tuple[Any, ...]:
        """The records of the check ``name`` (empty when the spec does not ask for it)."""
        return tuple(record for _, record in self.records.get(name, ()))

    def record(self, name: str) -> Any:
        """The one record of a check that runs once, or None."""
        found = self.records_of(name)
        return found[0] if found else None

    # The built-in checks by name, for readers that know them.
    @property
    def recovery_check(self) -> RecoveryCheck:
        return self.record("recovery")  # type: ignore[no-any-return]

    @property
    def fits(self) -> tuple[ModelFit, ...]:
        check = self.record("recovery")
        return check.fits if check is not None else ()

    @property
    def recovery(self) -> RecoveryResult:
        return self.recovery_check.result

    @property
    def recovery_uncertainty(self) -> RecoveryUncertainty | None:
        return self.recovery_check.uncertainty

    @property
    def distribution(self) -> DistributionResult | None:
        return self.record("distribution")  # type: ignore[no-any-return]

    @property
    def heterogeneity(self) -> tuple[HeterogeneityResult, ...]:
        return self.records_of("heterogeneity")

    @property
    def coherence(self) -> tuple[CoherenceResult, ...]:
        return self.records_of("coherence")

    def metric_values(self) -> dict[str, MetricValue]:
        """Every metric of every check, keyed by its full path (``recovery.f1_sign``, ...)."""
        from validator.checks.registry import checks

        entries = checks()
        values: dict[str, MetricValue] = {}
        for name, items in self.records.items():
            per_item = entries[name].per_item if name in entries else False
            for item, record in items:
                prefix = f"{name}.{item}" if per_item else name
                for value in record.metrics():
                    full = value.prefixed(prefix)
                    values[full.path] = full
        return values

    def to_dict(self) -> dict[str, Any]:
        from validator.checks.registry import checks

        block: dict[str, Any] = {
            "label": self.label,
            "passed": self.passed,
            "verdict": self.verdict.to_dict() if self.verdict is not None else None,
            "gates": [g.to_dict() for g in self.gates],
            "dataset": dataset_block(self.dataset),
            "models": [fit_block(f) for f in self.fits],
        }
        for name, entry in checks().items():
            items = self.records.get(name, ())
            if entry.per_item:
                block[name] = {item: record.to_dict() for item, record in items}
            else:
                block[name] = items[0][1].to_dict() if items else None
        return block

    def __repr__(self) -> str:
        from validator.present.terminal import verdict_summary

        return verdict_summary(self)

    def _repr_html_(self) -> str:
        from validator.present.html import simulation_html

        return simulation_html(self)

    def recovery_block(self) -> dict[str, Any]:
        """The recovery totals, models and coefficients, with bootstrap intervals and equal-n recovery."""
        return self.recovery_check.to_dict()


@dataclass(frozen=True, repr=False)
class CheckResult:
    """The result of checking one human dataset against one or more simulated datasets."""

    spec_name: str
    spec_title: str
    spec_source: str
    spec_sha256: str
    alpha: float
    correction: CorrectionSpec
    context: CheckContext
    human: Dataset
    human_fits: tuple[ModelFit, ...]
    simulations: tuple[SimulationResult, ...]
    gates_declared: int = 0
    simval_version: str = field(default=__version__)

    @property
    def seed(self) -> int:
        return self.context.seed

    @property
    def level(self) -> float:
        """The coverage of every interval in these results (the spec's ``uncertainty.level``)."""
        return self.context.level

    @property
    def bootstrap(self) -> dict[str, Any]:
        """The resampling settings as the JSON's ``bootstrap`` block."""
        ctx = self.context
        return {"replicates": ctx.replicates, "level": ctx.level, "equal_n_draws": ctx.equal_n_draws, "method": "percentile"}

    @property
    def passed(self) -> bool:
        """True when no simulated dataset's verdict fails."""
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
                "correction": {"method": self.correction.method, "scope": self.correction.scope},
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
        """One row per simulated dataset, ranked best first, with the CLI leaderboard's columns
        (verdict, F1(Sign), FPR, FNR, sign flips, mean JS, unique structures, gap) and the Table 2 totals."""
        import pandas as pd

        from validator.present.leaderboard import leaderboard_rows

        by_label = {sim.label: sim for sim in self.simulations}
        rows = []
        for row in leaderboard_rows(self):
            totals = by_label[row["simulation"]].recovery.summary.to_dict()
            rows.append({**row, **{k: v for k, v in totals.items() if k not in row}})
        frame: pd.DataFrame = pd.DataFrame(rows)
        return frame

    def __repr__(self) -> str:
        from validator.present.terminal import format_check

        return format_check(self, detail=0)

    def _repr_html_(self) -> str:
        """A compact HTML summary for notebooks: the verdicts and the leaderboard."""
        from validator.present.html import check_html

        return check_html(self)
