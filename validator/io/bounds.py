"""What a Parquet or SPSS file declares about its size, checked before the file is read.

A small binary file can stand for a huge table: Parquet compresses and
dictionary-encodes its columns, and an SPSS ``.zsav`` file holds zlib-compressed
blocks. Both formats declare their shape up front (Parquet in its footer, SPSS in
its dictionary and, for ``.zsav``, its block table), so these checks read only
that part and refuse a file over :data:`~validator.limits.COLUMNS_MAX` columns or
:data:`~validator.limits.DECOMPRESSED_BYTES_MAX` bytes before any data is
decompressed, with the same sentences as the text formats' limits.

* **Parquet**: the columns of the footer's schema, and as its decompressed size
  the larger of the uncompressed size the row groups declare and one byte per
  value (rows times columns: the least the same table takes as CSV; a
  dictionary-encoded constant column is tiny on disk whatever its length).
* **SPSS** (``.sav``, ``.zsav``): the variables of the dictionary (a long
  string's continuation records and segments counted once, as the reader joins
  them); for ``.zsav``, the decompressed
  sizes of its zlib blocks as the block table declares them. The reader
  (ReadStat) inflates each block into a buffer of exactly the declared size and
  refuses a block that does not fill it, so the declared sum is what it will
  inflate. (The bytecode compression inside, in ``.sav`` files too, turns one
  byte into at most one 8-byte value, as a CSV's "1," turns two bytes into one.)
"""

from __future__ import annotations

import struct

import pyarrow as pa

from validator.errors import InputError
from validator.limits import COLUMNS_MAX, DECOMPRESSED_BYTES_MAX, format_bytes

__all__ = [
    "check_parquet_footer",
    "check_sav_dictionary",
    "parquet_shape",
    "sav_shape",
]

_SAV_HEADER_BYTES = 176
_SAV_LAYOUT_OFFSET = 64  # the layout code, 2 or 3 in the file's byte order
_ZSAV_MAGIC = b"$FL3"
_VERY_LONG_STRINGS = 14  # the extension record that joins a long string's 252-character segments
_ZTRAILER_HEADER_BYTES = 24  # bias, zero, block size, block count
_ZTRAILER_ENTRY_BYTES = 24  # uncompressed offset, compressed offset, uncompressed size, compressed size


def _refuse_columns(count: int, source: str) -> None:
    if count > COLUMNS_MAX:
        raise InputError(f"has {count:,} columns, more than the limit of {COLUMNS_MAX:,}", source=source)


def _refuse_size(size: int, source: str) -> None:
    if size > DECOMPRESSED_BYTES_MAX:
        raise InputError(
            f"decompresses to {format_bytes(size)}, more than the limit of {format_bytes(DECOMPRESSED_BYTES_MAX)}",
            source=source,
        )


# --- Parquet -----------------------------------------------------------------------


def parquet_shape(data: bytes) -> tuple[int, int] | None:
    """(columns, decompressed bytes) from a Parquet file's footer, or None when it has no readable footer."""
    import pyarrow.parquet as pq  # with its filesystems (S3, Azure, TLS): only Parquet files need it

    try:
        meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    except (pa.ArrowException, OSError, ValueError):
        return None  # not a Parquet file: the reader says so in its own words
    declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return meta.num_columns, max(declared, meta.num_rows * meta.num_columns)


def check_parquet_footer(data: bytes, source: str) -> None:
    """Refuse a Parquet file over the column or decompressed-size limit, from its footer alone."""
    shape = parquet_shape(data)
    if shape is not None:
        _refuse_columns(shape[0], source)
        _refuse_size(shape[1], source)


# --- SPSS --------------------------------------------------------------------------


class _Malformed(Exception):
    """The dictionary ends early or holds a record type SPSS does not define."""


class _Cursor:
    """Reads the fixed-size integers of an SPSS dictionary in the file's byte order."""

    def __init__(self, data: bytes, order: str) -> None:
        self.data = data
        self.order = order
        self.pos = _SAV_HEADER_BYTES

    def ints(self, count: int, code: str = "i") -> tuple[int, ...]:
        layout = struct.Struct(f"{self.order}{count}{code}")
        if self.pos + layout.size > len(self.data):
            raise _Malformed
        values = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return tuple(int(v) for v in values)

    def skip(self, count: int) -> None:
        if count < 0 or self.pos + count > len(self.data):
            raise _Malformed
        self.pos += count


def _byte_order(data: bytes) -> str:
    if len(data) < _SAV_HEADER_BYTES:
        raise _Malformed
    for order in ("<", ">"):
        if struct.unpack_from(f"{order}i", data, _SAV_LAYOUT_OFFSET)[0] in (2, 3):
            return order
    raise _Malformed


def _dictionary(data: bytes) -> tuple[int, _Cursor]:
    """Count the variables of an SPSS dictionary and leave the cursor just after it.

    The record layouts are those of the SPSS system-file format, as ReadStat reads them;
    a string over 255 characters is stored as several variables of 252 characters,
    which the very-long-string record joins back into one column.
    """
    cursor = _Cursor(data, _byte_order(data))
    variables = 0
    while True:
        (record,) = cursor.ints(1)
        if record == 2:  # a variable: type (-1 continues a long string), label flag, missing values, formats, name
            kind, has_label, missing, _print, _write = cursor.ints(5)
            cursor.skip(8)
            variables += kind != -1
            if has_label:
                (length,) = cursor.ints(1)
                cursor.skip((length + 3) // 4 * 4)
            cursor.skip(abs(missing) * 8)
        elif record == 3:  # value labels: value, length byte, label padded to 8; then the type-4 record
            (count,) = cursor.ints(1)
            for _ in range(count):
                cursor.skip(8)
                if cursor.pos >= len(data):
                    raise _Malformed
                cursor.skip((data[cursor.pos] + 8) // 8 * 8)
            record4, count = cursor.ints(2)
            if record4 != 4:
                raise _Malformed
            cursor.skip(4 * count)
        elif record == 6:  # document lines of 80 bytes
            (lines,) = cursor.ints(1)
            cursor.skip(80 * lines)
        elif record == 7:  # an extension record: subtype, element size, element count
            subtype, size, count = cursor.ints(3)
            start = cursor.pos
            cursor.skip(size * count)
            if subtype == _VERY_LONG_STRINGS:
                variables -= _extra_segments(data[start : cursor.pos])
        elif record == 999:  # the end of the dictionary, then a filler
            cursor.skip(4)
            return variables, cursor
        else:
            raise _Malformed


def _extra_segments(record: bytes) -> int:
    """Variables beyond the first of each string over 255 characters ("NAME=01000" entries, one per 252 characters)."""
    extra = 0
    for entry in record.split(b"\x00"):
        _name, _equals, width = entry.strip(b"\t").partition(b"=")
        if width.strip().isdigit():
            extra += max((int(width) + 251) // 252 - 1, 0)
    return extra


def _zsav_declared_bytes(cursor: _Cursor) -> int:
    """The sum of the decompressed block sizes a .zsav block table declares (the zlib header follows the dictionary)."""
    zheader_ofs, ztrailer_ofs, ztrailer_len = cursor.ints(3, "q")
    if zheader_ofs != cursor.pos - 24 or ztrailer_ofs < 0 or ztrailer_len < _ZTRAILER_HEADER_BYTES:
        raise _Malformed
    cursor.pos = ztrailer_ofs
    cursor.skip(_ZTRAILER_HEADER_BYTES)
    blocks = (ztrailer_len - _ZTRAILER_HEADER_BYTES) // _ZTRAILER_ENTRY_BYTES
    total = 0
    for _ in range(blocks):
        _uncompressed_ofs, _compressed_ofs = cursor.ints(2, "q")
        uncompressed, _compressed = cursor.ints(2)
        total += max(uncompressed, 0)
    return total


def sav_shape(data: bytes) -> tuple[int, int | None] | None:
    """(variables, declared decompressed bytes of a .zsav or None for a .sav), or None when the dictionary is unreadable."""
    try:
        variables, cursor = _dictionary(data)
        declared = _zsav_declared_bytes(cursor) if data.startswith(_ZSAV_MAGIC) else None
    except (_Malformed, struct.error):
        return None
    return variables, declared


def check_sav_dictionary(data: bytes, source: str) -> None:
    """Refuse an SPSS file over the column limit, or a .zsav over the decompressed-size limit, from its dictionary.

    A .zsav whose dictionary or block table cannot be followed is refused too: its
    blocks could not be bounded, and ReadStat reads the same layout, so it would fail
    on that file anyway.
    """
    shape = sav_shape(data)
    if shape is None:
        if data.startswith(_ZSAV_MAGIC):
            raise InputError("could not be read as an SPSS .zsav file: its dictionary or block table is malformed", source=source)
        return  # a .sav the reader will judge
    _refuse_columns(shape[0], source)
    if shape[1] is not None:
        _refuse_size(shape[1], source)

