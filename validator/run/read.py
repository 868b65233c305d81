"""Reading one dataset: a file path (any supported format) or a DataFrame, ingested under the spec."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Union

from validator.errors import UsageError
from validator.io.ingest import Dataset, ingest
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
) -> Dataset:
    """Read a path (or take a DataFrame) and apply the spec to it."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        table = _frame_table(data, label or "<dataframe>")
    elif isinstance(data, (str, os.PathLike)):
        table = read_table(data)
    else:
        raise UsageError(f"expected a file path or a pandas DataFrame, got {type(data).__name__}")
    return ingest(table, spec, label=label or table.source, strict=strict, exclude_rows=exclude_rows)


