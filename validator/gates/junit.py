"""JUnit XML for CI systems: one testcase per gate per simulated dataset."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from validator.results import SimulationResult

# Characters XML 1.0 cannot hold at all, not even as a character reference
# (ElementTree writes them raw and the file no longer parses); surrogates too.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    r"""``value`` as text XML can hold: each character XML forbids becomes a visible ``\xNN`` escape.

    ElementTree escapes ``& < > "`` itself; this handles what it cannot.

    >>> xml_text("gate\x1b[31m")
    'gate\\x1b[31m'
    """
    return _NOT_XML.sub(_visible, str(value))


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def junit_xml(simulations: Sequence[SimulationResult], *, fail_on: str = "error") -> str:
    """A JUnit XML document (testsuites > testsuite per dataset > testcase per gate).

    A failed error-severity gate is a ``<failure>``; a failed warning is a
    ``<failure type="warning">`` under ``fail_on="warning"`` and otherwise a
    passing testcase whose ``<system-out>`` carries the warning. No timestamps,
    so identical results give identical files.
    """
    root = ET.Element("testsuites", {"name": "simval"})
    total = failures = 0
    for sim in simulations:
        suite = ET.SubElement(root, "testsuite", {"name": xml_text(sim.label)})
        suite_failures = 0
        for result in sim.gates:
            gate = result.gate
            case = ET.SubElement(suite, "testcase", {"classname": xml_text(f"simval.{sim.label}"), "name": xml_text(gate.name)})
            fails = not result.passed and (gate.severity == "error" or fail_on == "warning")
            if fails:
                suite_failures += 1
                failure = ET.SubElement(case, "failure", {"message": xml_text(result.message), "type": gate.severity})
                observed = "none" if result.observed is None else f"{result.observed:.6g}"
                threshold = list(gate.threshold) if isinstance(gate.threshold, tuple) else gate.threshold
                failure.text = xml_text(f"path: {gate.path}\nobserved ({gate.on}): {observed}\ncomparison: {gate.comparison} {threshold}\n")
            elif not result.passed:
                ET.SubElement(case, "system-out").text = xml_text(f"warning: {result.message}")
        suite.set("tests", str(len(sim.gates)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total += len(sim.gates)
        failures += suite_failures
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
