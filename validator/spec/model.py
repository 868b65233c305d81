"""The study spec as frozen, typed records.

A spec is parsed once (see :mod:`validator.spec.load`) into these dataclasses;
everything downstream reads them and never the raw YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from validator.inference.section import InferenceSection
    from validator.simulate.model import SimulationSpec

ColumnType = Literal["numeric", "categorical", "boolean", "text"]
Family = Literal["logit", "probit", "ols", "mnlogit"]
CovType = Literal["nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"]
CorrectionMethod = Literal["none", "bonferroni", "holm", "sidak", "fdr_bh", "fdr_by"]
CorrectionScope = Literal["model", "study"]

COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
FAMILIES: tuple[str, ...] = get_args(Family)
COV_TYPES: tuple[str, ...] = get_args(CovType)
CORRECTION_METHODS: tuple[str, ...] = get_args(CorrectionMethod)
CORRECTION_SCOPES: tuple[str, ...] = get_args(CorrectionScope)


SUPPORTED_COV_TYPES: Mapping[str, tuple[str, ...]] = {
    "ols": ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"),
    "logit": ("nonrobust", "HC0", "cluster"),
    "probit": ("nonrobust", "HC0", "cluster"),
    "mnlogit": ("nonrobust", "HC0", "cluster"),
}
"""The covariance types each family supports.

statsmodels 0.15 accepts ``HC1``-``HC3`` for maximum-likelihood models but
silently computes plain ``HC0`` for all three (``cov_white_simple`` without a
correction), so simval rejects them rather than report a mislabelled error.
"""

def cov_type_problem(family: str, cov_type: str) -> str | None:
    """Why ``cov_type`` cannot be used with ``family``, or None when it can.

    >>> cov_type_problem("logit", "HC3") is not None
    True
    """
    allowed = SUPPORTED_COV_TYPES.get(family, ())
    if cov_type in allowed:
        return None
    options = ", ".join(f"'{name}'" for name in allowed)
    why = ""
    if cov_type in ("HC1", "HC2", "HC3"):
        why = " (statsmodels computes HC1 to HC3 of maximum-likelihood models as plain HC0)"
    return f"cov_type '{cov_type}' is not available for a {family} model{why}; use one of {options}"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the study's data.

    ``values`` lists the allowed categories (categorical) and ``range`` the
    closed interval of allowed numbers (numeric; either bound may be None).
    ``aliases`` are other names under which the column may appear in a data
    file. ``recode`` maps raw values, compared as text (``"1"``), onto canonical
    values before the type is checked. ``missing`` lists raw values that mean
    "no answer" and become missing.
    """

    name: str
    type: ColumnType
    required: bool = True
    values: tuple[str, ...] | None = None
    range: tuple[float | None, float | None] | None = None
    integer: bool = False
    aliases: tuple[str, ...] = ()
    recode: tuple[tuple[str, str], ...] = ()
    missing: tuple[str, ...] = ()
    allow_missing: bool = False
    description: str = ""


@dataclass(frozen=True)
class ConstraintSpec:
    """A row-level rule: ``expr`` must be true for a row to be used."""

    name: str
    expr: str
    message: str


@dataclass(frozen=True)
class DerivedSpec:
    """A variable computed from other columns by a safe expression."""

    name: str
    expr: str
    description: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """A regression model: ``family`` fitted to ``formula`` on the rows where ``subset`` holds."""

    id: str
    label: str
    family: Family
    formula: str
    subset: str | None = None
    cov_type: CovType = "nonrobust"
    cluster: str | None = None
    description: str = ""
    #: Readable labels for terms, as declared (key: the formula term or its readable name, e.g. ``race[black]``).
    terms: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CorrectionSpec:
    """Multiple-comparison correction of p-values before significance is decided.

    ``scope`` ``model`` corrects within each model, ``study`` across every
    coefficient of the dataset.
    """

    method: CorrectionMethod = "none"
    scope: CorrectionScope = "study"


@dataclass(frozen=True)
class StudySpec:
    """A whole study: its columns, rules, derived variables and models."""

    name: str
    title: str
    description: str
    source: str
    alpha: float
    correction: CorrectionSpec
    columns: tuple[ColumnSpec, ...]
    constraints: tuple[ConstraintSpec, ...] = ()
    derived: tuple[DerivedSpec, ...] = ()
    models: tuple[ModelSpec, ...] = ()
    distributions: DistributionsSpec | None = None
    heterogeneity: tuple[HeterogeneitySpec, ...] = ()
    coherence: tuple[CoherenceSpec, ...] = ()
    uncertainty: UncertaintySpec = field(default_factory=lambda: UncertaintySpec())
    gates: tuple[Any, ...] = ()
    simulation: SimulationSpec | None = None
    inference: InferenceSection | None = None
    sha256: str = ""
    extra: tuple[tuple[str, object], ...] = field(default=(), compare=False)

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def variable_names(self) -> tuple[str, ...]:
        """Every name a model or expression may refer to: columns, then derived variables."""
        return self.column_names + tuple(d.name for d in self.derived)

    def model(self, model_id: str) -> ModelSpec:
        for model in self.models:
            if model.id == model_id:
                return model
        raise KeyError(model_id)


@dataclass(frozen=True)
class BinSpec:
    """``count`` equal-width bins over [``start``, ``stop``]; ``stop`` falls in the last bin."""

    start: float
    stop: float
    count: int


@dataclass(frozen=True)
class DistributionVariable:
    """A variable whose human and simulated distributions are compared.

    Numeric variables are binned (``bins``); categorical ones use ``categories``
    (by default the column's declared values).
    """

    name: str
    kind: Literal["binned", "categorical"]
    bins: BinSpec | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class DistributionsSpec:
    """Distributional alignment: the variables, the mean over a group of them, the breakdowns."""

    variables: tuple[DistributionVariable, ...]
    mean_over: tuple[str, ...] = ()
    breakdowns: tuple[str, ...] = ()
    min_group_size: int = 30


@dataclass(frozen=True)
class HeterogeneitySpec:
    """Unique response structures: distinct tuples of values over ``columns``."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CoherenceTarget:
    """A belief variable and the action it maps to."""

    belief: str
    action: str


@dataclass(frozen=True)
class CoherenceSpec:
    """A value-action gap: P(mapped action | belief strictly highest among ``beliefs``)."""

    name: str
    action: str
    beliefs: tuple[str, ...]
    targets: tuple[CoherenceTarget, ...]


@dataclass(frozen=True)
class UncertaintySpec:
    """Bootstrap and noise-floor settings (``bootstrap`` 0 switches both off).

    ``resample_by`` names a column whose values identify the independent units
    (participants in long-format data, several rows each): the recovery bootstrap
    then resamples whole units instead of rows.
    """

    bootstrap: int = 1000
    level: float = 0.95
    equal_n_draws: int = 200
    resample_by: str | None = None
