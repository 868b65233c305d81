"""JUnit XML always parses, whatever characters the gate names, messages and file names hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from validator.gates.junit import junit_xml, xml_text
from validator.gates.records import Gate, GateResult

HOSTILE = ["esc\x1b[31mred", "nul\x00byte", "bell\x07", "form\x0cfeed", "lone\ud800surrogate", "amp & <tag> \"q\"", "ok ünïcødé"]


def _result(label: str, name: str, message: str) -> SimpleNamespace:
    gate = Gate(name=name, path="recovery.f1_sign", comparison="min", threshold=0.5)
    outcome = GateResult(gate=gate, observed=0.1, estimate=0.1, low=None, high=None, passed=False, message=message, beyond_noise=None)
    return SimpleNamespace(label=label, gates=(outcome,))


@pytest.mark.parametrize("text", HOSTILE)
def test_junit_parses_with_any_characters_in_labels(text: str) -> None:
    document = junit_xml([_result(f"sim {text}.csv", f"gate {text}", f"message {text}")])  # type: ignore[list-item]
    root = ET.fromstring(document.encode("utf-8"))
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == f"gate {xml_text(text)}"
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == f"message {xml_text(text)}"


@pytest.mark.parametrize(("raw", "shown"), [("a\x1bb", "a\\x1bb"), ("a\x00", "a\\x00"), ("\ud800", "\\ud800"), ("tab\tnl\n", "tab\tnl\n"), ("<&>", "<&>")])
def test_xml_text_escapes_only_what_xml_cannot_hold(raw: str, shown: str) -> None:
    assert xml_text(raw) == shown
