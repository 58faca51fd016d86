"""The README documents every setting, and its commands match the code; the
examples the docs show are the files the tests run; docs/client.md names every
method of the clients."""

import inspect
import re
from pathlib import Path

import pytest

from mockarray import config
from mockarray.client import ControlClient, PluginClient

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def python_blocks(markdown: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```python\n(.*?)```", markdown, re.S)]


def test_every_setting_has_a_row_in_the_readme_table():
    rows = [line for line in README.splitlines() if line.startswith("| `MOCKARRAY_")]
    documented = {line.split("`")[1] for line in rows}
    assert documented == {variable for _, variable, _, _ in config.SETTINGS}


def test_the_readme_shows_the_two_commands_first():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


@pytest.mark.parametrize("page", ["README.md", "docs/pytest.md"])
def test_the_pytest_example_shown_is_the_one_the_install_test_runs(page):
    example = (ROOT / "docs" / "pytest-example" / "test_snapshots.py").read_text().strip()
    assert example in python_blocks((ROOT / page).read_text())
    assert len(example.splitlines()) <= 13


def test_the_ci_example_shown_is_the_one_the_suite_runs():
    source = (ROOT / "tests" / "test_ci_example.py").read_text()
    code = source[source.index("import pytest") :].strip()
    assert code in python_blocks((ROOT / "docs" / "ci.md").read_text())


@pytest.mark.parametrize("client", [PluginClient, ControlClient])
def test_docs_client_md_names_every_method(client):
    text = (ROOT / "docs" / "client.md").read_text()
    public = [
        name
        for name, member in inspect.getmembers(client, inspect.isfunction)
        if not name.startswith("_") and member.__module__ == client.__module__
    ]
    missing = [name for name in public if not re.search(rf"`{name}\(", text)]
    assert public and not missing, missing
