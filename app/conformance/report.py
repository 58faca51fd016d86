"""The run as people and machines read it: text, JSON, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict

from mockarray.conformance.framework import FAIL, INFO, PASS, SKIP, Check, Result
from mockarray.conformance.runner import Run

NAME_WIDTH = 38


def line(result: Result) -> str:
    """One result: outcome, name, guide section; what went wrong or was noted below it."""
    lines = [f"{result.outcome:<4}  {result.name:<{NAME_WIDTH}} {result.guide}"]
    if result.message:
        lines.append(f"      {result.message}")
    if result.exchange is not None and result.outcome == FAIL:
        lines.extend("    " + part for part in result.exchange.describe().splitlines())
    lines.extend(f"      - {note}" for note in result.notes)
    return "\n".join(lines)


def summary(run: Run) -> str:
    counts = (
        f"{run.count(PASS)} passed, {run.count(INFO)} passed with information, "
        f"{run.count(SKIP)} skipped, {run.count(FAIL)} failed"
    )
    verdict = "CONFORMS" if run.passed else "DOES NOT CONFORM"
    text = f"{len(run.results)} checks: {counts} ({run.seconds:.1f} s). {verdict}."
    if run.left_behind:
        text += "\nLeft on the array (remove by hand):\n" + "\n".join(
            f"  - {what}" for what in run.left_behind
        )
    return text


def text(run: Run) -> str:
    body = "\n".join(line(result) for result in run.results)
    return f"Conformance of {run.target}\n{body}\n{summary(run)}\n"


def as_json(run: Run) -> str:
    document = {
        "target": run.target,
        "passed": run.passed,
        "counts": {outcome: run.count(outcome) for outcome in (PASS, INFO, SKIP, FAIL)},
        "seconds": round(run.seconds, 3),
        "results": [asdict(result) for result in run.results],
        "leftBehind": run.left_behind,
    }
    return json.dumps(document, indent=2) + "\n"


def junit(run: Run) -> bytes:
    """JUnit XML: one testsuite, a testcase per check (classname its guide section);
    FAIL a ``failure``, SKIP ``skipped``, INFO's notes in ``system-out``."""
    suite = ET.Element(
        "testsuite",
        name="mockarray conformance",
        tests=str(len(run.results)),
        failures=str(run.count(FAIL)),
        errors="0",
        skipped=str(run.count(SKIP)),
        time=f"{run.seconds:.3f}",
    )
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="target", value=run.target)
    for result in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"conformance.{result.name.split('.')[0]}",
            name=result.name,
            time=f"{result.seconds:.3f}",
        )
        if result.outcome == FAIL:
            failure = ET.SubElement(case, "failure", message=result.message, type="FAIL")
            failure.text = line(result)
        elif result.outcome == SKIP:
            ET.SubElement(case, "skipped", message=result.message)
        if result.notes:
            ET.SubElement(case, "system-out").text = "\n".join(result.notes)
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def listing(checks: list[Check]) -> str:
    """``--list``: each check's name, whether it writes, its guide section and summary."""
    return (
        "\n".join(
            f"{c.name:<{NAME_WIDTH}} {'write' if c.writes else 'read ':<5}  {c.guide}: {c.summary}"
            for c in checks
        )
        + "\n"
    )
