"""The hostile-input battery of issue 14: each case, its exit code and message, within 10 s and 500 MB.

Every case builds its hostile file in a fresh study folder (see ``conftest.py``),
runs the console script in a child process and checks the exit code and a pattern
of the message on standard error. No case may end in a traceback or an internal
error (exit 3), run past ``TIME_LIMIT`` or use more than ``MEMORY_LIMIT_MB``.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest


def _harness() -> ModuleType:
    name = "simval_hostile_harness"  # the same module object conftest.py loads
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "harness.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


harness = _harness()
SPEC: str = harness.SPEC
TIME_LIMIT: float = harness.TIME_LIMIT
MEMORY_LIMIT_MB: float = harness.MEMORY_LIMIT_MB
run_limited = harness.run_limited

Builder = Callable[[Path], list[str]]


def _write(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def _alias_bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def gates_alias_bomb(folder: Path) -> list[str]:
    text = _alias_bomb() + "gates:\n  - {path: '*l8', max: 1}\n"
    _write(folder, "gates.yaml", text.replace("'*l8'", "*l8"))
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--gates", "gates.yaml"]


def spec_alias_bomb_in_gate_path(folder: Path) -> list[str]:
    bomb = _alias_bomb().replace("\n", "\n  ")
    _write(folder, "bomb.yaml", SPEC + "gates:\n  - path: *l8\n    max: 1\ndescription:\n  " + bomb)
    # The anchors must come before their use: put them in a top-level key read first.
    text = "description:\n  " + bomb.rstrip() + "\n" + SPEC + "gates:\n  - {path: *l8, max: 1}\n"
    _write(folder, "bomb.yaml", text)
    return ["spec", "validate", "bomb.yaml"]


def spec_nested_20000(folder: Path) -> list[str]:
    _write(folder, "deep.yaml", SPEC + "description: " + "[" * 20_000 + "]" * 20_000 + "\n")
    return ["spec", "validate", "deep.yaml"]


def spec_duplicate_models(folder: Path) -> list[str]:
    _write(folder, "dup.yaml", SPEC + "models:\n  - {id: m9, family: ols, formula: y ~ w}\n")
    return ["spec", "validate", "dup.yaml"]


def spec_duplicate_nested_key(folder: Path) -> list[str]:
    _write(folder, "dup.yaml", SPEC.replace("x: {type: numeric}", "x: {type: numeric, type: text}"))
    return ["spec", "validate", "dup.yaml"]


def spec_huge_bootstrap(folder: Path) -> list[str]:
    _write(folder, "boot.yaml", SPEC.replace("bootstrap: 0", "bootstrap: 100000000000000000000"))
    return ["spec", "validate", "boot.yaml"]


def option_huge_bootstrap(folder: Path) -> list[str]:
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--bootstrap", "100000000000000000000"]


def spec_huge_bins(folder: Path) -> list[str]:
    text = SPEC + "distributions:\n  variables:\n    - {name: x, bins: {start: 0, stop: 1, count: 100000000000000000000000}}\n"
    _write(folder, "bins.yaml", text)
    return ["spec", "validate", "bins.yaml"]


def gzip_bomb(folder: Path) -> list[str]:
    # Concatenated gzip members decompress to their concatenation: 1.1 GiB from a few MB.
    chunk = gzip.compress(b"1,2,3,4,left\n" * (1 << 16), 9)  # 832 KiB each
    with open(folder / "bomb.csv", "wb") as handle:
        handle.write(gzip.compress(b"g,x,w,y,decision\n"))
        handle.writelines(chunk for _ in range(1400))
    return ["check", "bomb.csv", "sim.csv", "--spec", "spec.yaml"]


def _spss(path: Path, names: list[str], *, rows: int = 1, zlib_blocks: int = 0) -> None:
    """A minimal SPSS system file of numeric variables, written field by field.

    With ``zlib_blocks`` it is a .zsav whose data are that many zlib blocks, each
    inflating to 1 MiB of bytecode 101 (the value 1.0, one row per byte for one
    variable): about 1 KiB on disk per MiB of data. Without, a .sav of ``rows``
    uncompressed rows of 1.0.
    """
    compressed = zlib_blocks > 0
    header = (b"$FL3" if compressed else b"$FL2") + b"@(#) simval hostile battery".ljust(60)
    header += struct.pack("<5i", 2, len(names), 2 if compressed else 0, 0, -1 if compressed else rows)
    header += struct.pack("<d", 100.0) + b"01 Dec 26" + b"12:00:00" + b" " * 64 + b"\0" * 3
    assert len(header) == 176
    body = bytearray(header)
    for name in names:  # numeric, no label, no missing values, format F8.2
        body += struct.pack("<6i", 2, 0, 0, 0, 0x050802, 0x050802) + name.encode().ljust(8)
    body += struct.pack("<2i", 999, 0)
    if not compressed:
        body += struct.pack("<d", 1.0) * (rows * len(names))
    else:
        zheader = len(body)
        body += b"\0" * 24  # the zlib header, filled in below
        block = zlib.compress(b"\x65" * (1 << 20), 9)
        entries = []
        for i in range(zlib_blocks):
            entries.append(struct.pack("<2q2i", zheader + i * (1 << 20), len(body), 1 << 20, len(block)))
            body += block
        trailer = len(body)
        body += struct.pack("<2q2i", -100, 0, 0x3FF000, zlib_blocks) + b"".join(entries)
        body[zheader : zheader + 24] = struct.pack("<3q", zheader, trailer, 24 + 24 * zlib_blocks)
    path.write_bytes(bytes(body))


def zsav_bomb(folder: Path) -> list[str]:
    # 1,100 blocks of 1 MiB: 1.1 GiB of bytecode (1.1 billion rows) from about 1 MB.
    _spss(folder / "bomb.zsav", ["x"], zlib_blocks=1100)
    return ["check", "bomb.zsav", "sim.csv", "--spec", "spec.yaml"]


def sav_too_many_columns(folder: Path) -> list[str]:
    _spss(folder / "wide.sav", [f"v{i}" for i in range(25_000)])
    return ["check", "wide.sav", "sim.csv", "--spec", "spec.yaml"]


def parquet_too_many_columns(folder: Path) -> list[str]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    # 2,000 rows of 25,000 columns: 400 MB once read, 5 MB on disk.
    column = pa.array(np.ones(2000))
    pq.write_table(pa.Table.from_arrays([column] * 25_000, names=[f"c{i}" for i in range(25_000)]), folder / "wide.parquet", write_statistics=False)
    return ["check", "wide.parquet", "sim.csv", "--spec", "spec.yaml"]


def parquet_of_a_billion_nulls(folder: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # 1.2 billion missing values in 2 MB (run-length encoded); 9.6 GB as a pandas column.
    chunk = pa.table({"x": pa.nulls(1 << 27)})
    with pq.ParquetWriter(folder / "nulls.parquet", chunk.schema) as writer:
        for _ in range(9):
            writer.write_table(chunk, row_group_size=1 << 27)
    return ["check", "nulls.parquet", "sim.csv", "--spec", "spec.yaml"]


def sparse_2gb(folder: Path) -> list[str]:
    with open(folder / "sparse.csv", "wb") as handle:
        handle.truncate(2 * 1024**3)
    return ["check", "sparse.csv", "sim.csv", "--spec", "spec.yaml"]


def fifo_input(folder: Path) -> list[str]:
    os.mkfifo(folder / "fifo.csv")
    return ["check", "human.csv", "fifo.csv", "--spec", "spec.yaml"]


def fifo_spec(folder: Path) -> list[str]:
    os.mkfifo(folder / "fifo.yaml")
    return ["spec", "validate", "fifo.yaml"]


def fifo_gates(folder: Path) -> list[str]:
    os.mkfifo(folder / "gates.yaml")
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--gates", "gates.yaml"]


def too_many_columns(folder: Path) -> list[str]:
    header = ",".join(f"c{i}" for i in range(25_000))
    _write(folder, "wide.csv", header + "\n" + ",".join("1" for _ in range(25_000)) + "\n")
    return ["check", "wide.csv", "sim.csv", "--spec", "spec.yaml"]


def _formula_bomb(folder: Path) -> None:
    _write(folder, "bomb.yaml", SPEC.replace("formula: y ~ x}", "formula: y ~ I(str(x) * 1000000000)}"))


def formula_text_repetition_validate(folder: Path) -> list[str]:
    _formula_bomb(folder)
    return ["spec", "validate", "bomb.yaml"]


def formula_text_repetition_check(folder: Path) -> list[str]:
    _formula_bomb(folder)
    return ["check", "human.csv", "sim.csv", "--spec", "bomb.yaml"]


def formula_categorical_repetition(folder: Path) -> list[str]:
    _write(folder, "bomb.yaml", SPEC.replace("formula: y ~ x}", "formula: y ~ I(g * 1000000000)}"))
    return ["spec", "validate", "bomb.yaml"]


def json_over_human(folder: Path) -> list[str]:
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--json", "human.csv"]


def junit_over_sim_by_hard_link(folder: Path) -> list[str]:
    os.link(folder / "sim.csv", folder / "results.xml")
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--junit", "results.xml"]


def json_over_spec_by_symlink(folder: Path) -> list[str]:
    (folder / "out.json").symlink_to(folder / "spec.yaml")
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--json", "out.json"]


def report_over_input(folder: Path) -> list[str]:
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--report", "sim.csv"]


def report_folder_holding_input(folder: Path) -> list[str]:
    (folder / "out" / "sim").mkdir(parents=True)
    (folder / "sim.csv").rename(folder / "out" / "sim" / "sim.csv")
    return ["check", "human.csv", "out/sim/sim.csv", "--spec", "spec.yaml", "--report", "out", "--format", "html"]


def gates_out_over_human(folder: Path) -> list[str]:
    return ["gates", "suggest", "human.csv", "--spec", "spec.yaml", "-o", "human.csv", "--force"]


def spec_init_over_data(folder: Path) -> list[str]:
    return ["spec", "init", "human.csv", "-o", "human.csv", "--force"]


def _demo_personas(folder: Path) -> None:
    from validator.demo.generate import FILE_NAMES, write_demo

    write_demo(folder / "demo")
    (folder / "demo" / FILE_NAMES["human"]).rename(folder / "personas.csv")


def simulate_out_over_personas(folder: Path) -> list[str]:
    _demo_personas(folder)
    return ["simulate", "--personas", "personas.csv", "--out", "personas.csv", "--model", "m", "--n", "2"]


def journal_over_a_users_file(folder: Path) -> list[str]:
    _demo_personas(folder)
    _write(folder, "notes.txt", "my notes\n")
    return ["simulate", "--personas", "personas.csv", "--out", "out.csv", "--journal", "notes.txt", "--model", "m", "--n", "2"]


def json_to_full_disk(folder: Path) -> list[str]:
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--json", "/dev/full"]


def constant_decision(folder: Path) -> list[str]:
    # What a mode-collapsed model produces: no logit model can be fitted on the simulation.
    _write(folder, "logit.yaml", SPEC.replace("  - {id: m1, family: ols, formula: y ~ x}\n", "").replace("bootstrap: 0", "bootstrap: 20"))
    frame = harness.small_frame(seed=3)
    frame["decision"] = "left"
    frame.to_csv(folder / "constant.csv", index=False)
    return ["check", "human.csv", "constant.csv", "--spec", "logit.yaml"]


ESC = "\x1b]0;pwned\x07\x1b[31m"


def escapes_in_file_name_and_values(folder: Path) -> list[str]:
    frame = harness.small_frame(seed=2)
    frame.loc[0, "g"] = f"{ESC}bad"  # not a declared category: the set-aside table shows it
    frame.loc[1, "g"] = "v" * 1_000_000  # a 1 MB value
    name = f"sim{ESC}.csv"
    frame.to_csv(folder / name, index=False)
    return ["check", "human.csv", name, "--spec", "spec.yaml"]


def escapes_in_missing_column_error(folder: Path) -> list[str]:
    frame = harness.small_frame(seed=2).rename(columns={"x": f"{ESC}x"})
    frame.to_csv(folder / "renamed.csv", index=False)
    return ["check", "human.csv", "renamed.csv", "--spec", "spec.yaml"]


def long_gate_path(folder: Path) -> list[str]:
    _write(folder, "gates.yaml", "gates:\n  - {name: g, path: recovery." + "p" * 100_000 + ", comparison: '>=', threshold: 1}\n")
    return ["check", "human.csv", "sim.csv", "--spec", "spec.yaml", "--gates", "gates.yaml"]


CASES: list[tuple[str, Builder, int, str]] = [
    ("gates file alias bomb", gates_alias_bomb, 2, r"gates\.yaml.*expands to more than 200,000 values"),
    ("spec alias bomb in gates[0].path", spec_alias_bomb_in_gate_path, 2, r"bomb\.yaml.*expands to more than"),
    ("spec nested 20,000 levels", spec_nested_20000, 2, r"deep\.yaml.*nests deeper than the limit of 100 levels"),
    ("spec with two models sections", spec_duplicate_models, 2, r"dup\.yaml, at models: the key 'models' appears twice"),
    ("duplicate key inside a column", spec_duplicate_nested_key, 2, r"at columns\.x\.type: the key 'type' appears twice in columns\.x"),
    ("uncertainty.bootstrap 1e20", spec_huge_bootstrap, 2, r"at uncertainty\.bootstrap: must be at most 100,000"),
    ("--bootstrap 1e20", option_huge_bootstrap, 2, r"bootstrap replicates must be at most 100,000"),
    ("bins.count 1e23", spec_huge_bins, 2, r"bins\.count: must be at most 10,000"),
    ("gzip bomb named .csv", gzip_bomb, 2, r"bomb\.csv: decompresses to more than the limit of 1 GiB"),
    ("zlib bomb named .zsav", zsav_bomb, 2, r"bomb\.zsav: decompresses to 1\.1 GiB, more than the limit of 1 GiB"),
    ("Parquet of 1.2 billion nulls", parquet_of_a_billion_nulls, 2, r"nulls\.parquet: decompresses to 1\.1 GiB, more than the limit of 1 GiB"),
    ("2 GB sparse file", sparse_2gb, 2, r"sparse\.csv: is 2 GiB, more than the limit of 1 GiB"),
    ("FIFO as a data file", fifo_input, 2, r"fifo\.csv: is a pipe, device or socket"),
    ("FIFO as the spec", fifo_spec, 2, r"fifo\.yaml: the spec is not a regular file"),
    ("FIFO as the gates file", fifo_gates, 2, r"gates\.yaml: the gates file is not a regular file"),
    ("I(str(x) * 1e9) in spec validate", formula_text_repetition_validate, 2, r"at models\[0\]\.formula: formula .* uses '\*' on text"),
    ("I(str(x) * 1e9) in check", formula_text_repetition_check, 2, r"at models\[0\]\.formula: formula .* uses '\*' on text"),
    ("I(categorical * 1e9)", formula_categorical_repetition, 2, r"uses '\*' on text \('g \* 1000000000'\)"),
    ("--json over the human file", json_over_human, 2, r"--json would overwrite the input file 'human\.csv'; give another path"),
    ("--junit on a hard link to an input", junit_over_sim_by_hard_link, 2, r"--junit would overwrite the input file 'sim\.csv' \('results\.xml' is the same file\)"),
    ("--json on a symlink to the spec", json_over_spec_by_symlink, 2, r"--json would overwrite the input file 'spec\.yaml'"),
    ("--report on an input file", report_over_input, 2, r"--report would overwrite the input file 'sim\.csv'"),
    ("--report run folder holding an input", report_folder_holding_input, 2, r"--report would replace the folder 'out/sim', which holds the input file"),
    ("gates suggest -o over the human file", gates_out_over_human, 2, r"--out would overwrite the input file 'human\.csv'"),
    ("spec init -o over its data", spec_init_over_data, 2, r"--out would overwrite the input file 'human\.csv'"),
    ("simulate --out over the personas", simulate_out_over_personas, 2, r"--out would overwrite the input file 'personas\.csv'"),
    ("journal over a user's file", journal_over_a_users_file, 2, r"'notes\.txt' exists and is not a simval journal; simval leaves it untouched"),
    ("--json on a full disk", json_to_full_disk, 2, r"cannot write the --json output '/dev/full': the disk is full"),
    # The verdict line comes first; no model can be fitted, so recovery cannot decide.
    ("every participant makes the same decision", constant_decision, 0, r"INCONCLUSIVE constant\.csv\n  recovery +inconclusive"),
    ("escapes in a file name and in values", escapes_in_file_name_and_values, 0, r"(PASS|FAIL|INCONCLUSIVE) sim\\x1b\]0;pwned\\x07"),
    ("escapes in the missing-column error", escapes_in_missing_column_error, 2, r"the file has .*\\x1b\]0;pwned\\x07\\x1b\[31mx"),
    ("a 100 KB gate path", long_gate_path, 2, r"gates\.yaml.*\(\d[\d,]* more characters\)"),
    ("25,000 columns", too_many_columns, 2, r"wide\.csv: has 25,000 columns, more than the limit of 20,000"),
    ("25,000 columns in a .sav", sav_too_many_columns, 2, r"wide\.sav: has 25,000 columns, more than the limit of 20,000"),
    ("25,000 columns in a Parquet file", parquet_too_many_columns, 2, r"wide\.parquet: has 25,000 columns, more than the limit of 20,000"),
]


@pytest.mark.parametrize(("builder", "code", "pattern"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_hostile_input_is_refused_plainly_and_quickly(study: Path, builder: Builder, code: int, pattern: str) -> None:
    args = builder(study)
    inputs = ("human.csv", "sim.csv", "spec.yaml", "personas.csv")
    snapshot = {name: (study / name).read_bytes() for name in inputs if (study / name).is_file()}
    outcome = run_limited(args, study)
    assert outcome.returncode == code, outcome.stderr
    assert re.search(pattern, outcome.stderr + outcome.stdout), outcome.stderr
    assert "Traceback" not in outcome.stderr and "internal error" not in outcome.stderr
    assert "\x1b" not in outcome.stdout + outcome.stderr  # no escape sequence reaches the terminal
    assert len(outcome.stdout) + len(outcome.stderr) < 200_000  # no value is printed whole
    assert outcome.seconds < TIME_LIMIT
    assert outcome.max_rss_mb < MEMORY_LIMIT_MB, f"{outcome.max_rss_mb:.0f} MB"
    for name, content in snapshot.items():  # an input is never changed by a refused output
        assert (study / name).read_bytes() == content, name
    if (study / "notes.txt").exists():
        assert (study / "notes.txt").read_text(encoding="utf-8") == "my notes\n"


def test_the_battery_writes_real_spss_files(tmp_path: Path) -> None:
    """The hand-written SPSS files of the battery are ones ReadStat reads (small versions of the hostile ones)."""
    import pyreadstat

    _spss(tmp_path / "small.sav", ["a", "b"], rows=3)
    _spss(tmp_path / "small.zsav", ["x"], zlib_blocks=1)
    frame, _meta = pyreadstat.read_sav(str(tmp_path / "small.sav"))
    assert frame.shape == (3, 2) and (frame == 1.0).all().all()
    frame, _meta = pyreadstat.read_sav(str(tmp_path / "small.zsav"))
    assert frame.shape == (1 << 20, 1) and (frame["x"] == 1.0).all()
