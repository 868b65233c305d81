"""What Parquet and SPSS files declare about their size, read before the data (validator/io/bounds.py)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

from validator.errors import InputError
from validator.io import bounds
from validator.io.readers import read_table


def _rich_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "age": [31.0, np.nan, 58.0],
            "group": [1.0, 2.0, 1.0],
            "essay": ["x" * 300, "y", ""],  # longer than 255: segments and continuation records
        }
    )


def _write_rich(path: Path, *, compress: bool) -> None:
    pyreadstat.write_sav(
        _rich_frame(), str(path), compress=compress, file_label="a study", note=["first note", "second note"],
        column_labels=["identifier", "age in years", "treatment group", "free text"],
        variable_value_labels={"group": {1.0: "control", 2.0: "treated, with a long label " * 3}},
        missing_ranges={"age": [{"lo": 900.0, "hi": 999.0}]},
    )


def _zlib_blocks_inflated(data: bytes) -> int:
    """The true decompressed size of a .zsav's blocks, found by inflating each one (an independent count)."""
    variables, cursor = bounds._dictionary(data)  # the dictionary end is where the zlib header sits
    _zheader, trailer, length = struct.unpack_from("<qqq", data, cursor.pos)
    total = 0
    for i in range((length - 24) // 24):
        _u, compressed_ofs, _size, compressed_size = struct.unpack_from("<qqii", data, trailer + 24 + 24 * i)
        total += len(zlib.decompress(data[compressed_ofs : compressed_ofs + compressed_size]))
    return total


@pytest.mark.parametrize("compress", [False, True], ids=["sav", "zsav"])
def test_the_dictionary_of_a_real_spss_file_gives_its_columns_and_blocks(tmp_path: Path, compress: bool) -> None:
    path = tmp_path / ("rich.zsav" if compress else "rich.sav")
    _write_rich(path, compress=compress)
    data = path.read_bytes()
    _frame, meta = pyreadstat.read_sav(str(path))
    columns, declared = bounds.sav_shape(data) or (None, None)
    assert columns == meta.number_columns == 4
    assert declared == (_zlib_blocks_inflated(data) if compress else None)
    assert read_table(path).frame.shape == (3, 4)


def test_a_parquet_footer_gives_columns_and_the_larger_of_its_sizes() -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"x": np.zeros(100_000), "y": np.ones(100_000)}), buffer)
    columns, size = bounds.parquet_shape(buffer.getvalue()) or (0, 0)
    meta = pq.ParquetFile(io.BytesIO(buffer.getvalue())).metadata
    assert columns == 2
    # constant columns encode to almost nothing; one byte per value is the floor
    assert size == max(meta.row_group(0).total_byte_size, 200_000) == 200_000


@pytest.mark.parametrize(
    ("content", "shape"),
    [
        (b"not parquet at all", None),
        (b"$FL3" + b"\x00" * 100, None),  # shorter than an SPSS header
    ],
)
def test_unreadable_metadata_gives_none(content: bytes, shape: object) -> None:
    assert bounds.parquet_shape(content) is shape
    assert bounds.sav_shape(content) is shape


@pytest.mark.parametrize(
    ("name", "limit", "message"),
    [
        ("big.parquet", "DECOMPRESSED_BYTES_MAX", r"big\.parquet: decompresses to 1\.\d MiB, more than the limit of 1 MiB"),
        ("big.zsav", "DECOMPRESSED_BYTES_MAX", r"big\.zsav: decompresses to \d(\.\d)? MiB, more than the limit of 1 MiB"),
        ("wide.parquet", "COLUMNS_MAX", r"wide\.parquet: has 3 columns, more than the limit of 2"),
        ("wide.sav", "COLUMNS_MAX", r"wide\.sav: has 3 columns, more than the limit of 2"),
        ("wide.zsav", "COLUMNS_MAX", r"wide\.zsav: has 3 columns, more than the limit of 2"),
    ],
)
def test_a_file_over_a_limit_is_refused_before_its_data_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, limit: str, message: str
) -> None:
    # random doubles do not compress: about 1.5 MiB decompressed in either format, 45 KiB on disk in neither
    frame = pd.DataFrame({"a": np.random.default_rng(1).normal(size=196_608), "b": 1.0, "c": 2.0})
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        pyreadstat.write_sav(frame, str(path), compress=name.endswith(".zsav"))
    monkeypatch.setattr(bounds, limit, 2 if limit == "COLUMNS_MAX" else 1024 * 1024)
    monkeypatch.setattr(pyreadstat, "read_sav", lambda *a, **k: pytest.fail("the data was read"))
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **k: pytest.fail("the data was read"))
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_a_zsav_whose_block_table_cannot_be_followed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.zsav"
    _write_rich(path, compress=True)
    data = path.read_bytes()
    _variables, cursor = bounds._dictionary(data)
    path.write_bytes(data[: cursor.pos + 8])  # the zlib header cut short
    with pytest.raises(InputError, match=r"cut\.zsav: could not be read as an SPSS \.zsav file: its dictionary or block table is malformed"):
        read_table(path)
