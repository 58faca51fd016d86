"""The README documents every setting, and its commands match the code."""

from pathlib import Path

from mockarray import config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_has_a_row_in_the_readme_table():
    rows = [line for line in README.splitlines() if line.startswith("| `MOCKARRAY_")]
    documented = {line.split("`")[1] for line in rows}
    assert documented == {variable for _, variable, _, _ in config.SETTINGS}


def test_the_readme_shows_the_two_commands_first():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
