"""The house: what each room of ``app/`` may import, and that the package lists every room.

The rooms and their rules are README's "Layout" section; each package's
docstring repeats its own. A change that makes the array know HTTP, or the
plugin API know the lab, fails here.
"""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"

#: Shared ground floor: importable from every room.
BASE = {
    "config",
    "database",
    "errors",
    "fields",
    "identity",
    "naming",
    "prepared",
    "queries",
    "turns",
    "units",
}
#: room -> the rooms of mockarray it may import besides BASE and itself.
MAY_IMPORT = {
    "array": set(),
    "web": set(),
    "plugin": {"array", "web"},
    "lab": {"array"},
    # migrate: the health check compares the database's schema with the shipped head.
    "lab.api": {"array", "lab", "web", "plugin", "migrate"},
    # The dashboard is a front end of the lab, open to whoever may call the control
    # plane (lab.api's access rule); the docs pages it links to are web's.
    "lab.dashboard": {"array", "lab", "lab.api", "web"},
    "cli": {"array", "lab", "plugin", "web", "migrate", "wsgi", "client", "conformance", "(root)"},
    # Users run the client against remote servers: nothing of the server in it.
    "client": set(),
    # A black box: it checks any plugin through the client, never mockarray's internals.
    "conformance": {"client"},
    # In-process mode builds the application (imported only then).
    "pytest_plugin": {"client", "lab", "migrate", "(root)"},
}
#: Rooms that know nothing of HTTP or the command line.
NO_FRAMEWORK = {
    "array",
    "lab",
    "queries",
    "prepared",
    "database",
    "errors",
    "units",
    "identity",
    "naming",
    "fields",
    "turns",
    "client",
    "conformance",
}
FRAMEWORKS = {"flask", "flask_smorest", "webargs", "werkzeug.exceptions", "click"}


def module_name(path: Path) -> str:
    parts = path.relative_to(APP).with_suffix("").parts
    return ".".join(part for part in parts if part != "__init__")


def room_of(name: str) -> str:
    """``lab.api.faults`` -> ``lab.api``; ``plugin.core`` -> ``plugin``; ``units`` -> ``units``."""
    for room in ("lab.api", "lab.dashboard"):
        if name.startswith(room):
            return room
    return name.split(".")[0] if name else "(root)"


def _is_module(name: str) -> bool:
    return (APP / name).is_dir() or (APP / f"{name}.py").exists() or name == "config"


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mockarray":
                # ``from mockarray import config`` names a room; ``create_app`` the root.
                found.update(
                    f"mockarray.{alias.name}" if _is_module(alias.name) else "mockarray"
                    for alias in node.names
                )
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


MODULES = sorted(APP.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_room_imports_only_what_it_may(path):
    room = room_of(module_name(path))
    if room not in MAY_IMPORT and room not in BASE:
        return  # the composition root (create_app), wsgi, migrate: they wire the rooms
    allowed = BASE | {room} | MAY_IMPORT.get(room, set())
    wrong = sorted(
        imported
        for imported in imports_of(path)
        if imported.startswith("mockarray")
        and room_of(imported.removeprefix("mockarray").removeprefix(".")) not in allowed
    )
    assert not wrong, f"{path.relative_to(ROOT)} ({room}) imports {wrong}"


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if room_of(module_name(p)) in NO_FRAMEWORK],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_array_and_the_lab_know_no_http(path):
    frameworks = sorted(
        i for i in imports_of(path) if i.split(".")[0] in FRAMEWORKS or i in FRAMEWORKS
    )
    assert not frameworks, f"{path.relative_to(ROOT)} imports {frameworks}"


def test_every_room_says_what_it_holds_and_may_import():
    for package in sorted({p.parent for p in MODULES}):
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert docstring, f"{package.relative_to(ROOT)} has no docstring"


def test_the_package_lists_every_folder_of_app():
    """setup.cfg names each package (app/ is installed as ``mockarray``)."""
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    listed = set(setup["options"]["packages"].split())
    folders = {
        ".".join(["mockarray", *p.parent.relative_to(APP).parts]) for p in APP.rglob("__init__.py")
    }
    assert folders <= listed, f"missing from setup.cfg: {sorted(folders - listed)}"
    assert {"mockarray.config", "mockarray.migrations"} <= listed


def test_the_client_needs_only_the_standard_library():
    for path in sorted((APP / "client").glob("*.py")):
        foreign = sorted(
            name
            for name in imports_of(path)
            if not name.startswith("mockarray.client")
            and name.split(".")[0] not in sys.stdlib_module_names
            and name != "__future__"
        )
        assert not foreign, f"{path.relative_to(ROOT)} imports {foreign}"


def test_the_conformance_checks_need_only_the_client_and_the_standard_library():
    """They check any vendor's plugin as a black box: nothing of mockarray's server."""
    for path in sorted((APP / "conformance").glob("*.py")):
        foreign = sorted(
            name
            for name in imports_of(path)
            if not name.startswith(("mockarray.client", "mockarray.conformance"))
            and name.split(".")[0] not in sys.stdlib_module_names
            and name != "__future__"
        )
        assert not foreign, f"{path.relative_to(ROOT)} imports {foreign}"


def test_the_client_and_the_pytest_plugin_load_nothing_of_the_server():
    """pytest loads the plugin in every run where mockarray is installed: importing it
    (and the client) must not import Flask, SQLAlchemy or the application."""
    probe = (
        "import sys, mockarray.client, mockarray.pytest_plugin; "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'alembic', 'yaml', 'mockarray.web') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
