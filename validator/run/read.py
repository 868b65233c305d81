"""Reading one dataset: a file path (any supported format) or a DataFrame, ingested under the spec."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Union

from validator.errors import UsageError
from validator.io.ingest import Dataset, ingest, spec_columns
from validator.io.readers import RawTable, read_table
from validator.spec.model import StudySpec

if TYPE_CHECKING:
    import pandas as pd

DataSource = Union[str, "os.PathLike[str]", "pd.DataFrame"]


def _frame_table(frame: pd.DataFrame, label: str) -> RawTable:
    import hashlib

    import pandas as pd

    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()
    return RawTable(
        frame=frame.reset_index(drop=True),
        source=label,
        format="dataframe",
        sha256=digest,
        n_rows=len(frame),
        comments=(),
        first_data_line=1,
    )


def read_dataset(
    data: DataSource,
    spec: StudySpec,
    *,
    label: str | None = None,
    strict: bool = False,
    exclude_rows: Iterable[int] = (),
    spec_only: bool = False,
) -> Dataset:
    """Read a path (or take a DataFrame) and apply the spec to it.

    ``spec_only`` reads only the columns the spec needs from a file
    (:func:`~validator.io.ingest.spec_columns`): what a check does, as nothing in
    it looks at the others, and a 1,000,000-row file with many columns then costs
    the time and memory of its used columns. The dataset's ``extra_columns`` still
    lists every other column of the file; only their values are not in its frame.
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        table = _frame_table(data, label or "<dataframe>")
    elif isinstance(data, (str, os.PathLike)):
        table = read_table(data, columns=(lambda header: spec_columns(spec, header)) if spec_only else None)
    else:
        raise UsageError(f"expected a file path or a pandas DataFrame, got {type(data).__name__}")
    return ingest(table, spec, label=label or table.source, strict=strict, exclude_rows=exclude_rows)


