"""mockarray installed from its wheel, outside the clone: the wheel holds what
the package reads at run time, and from any folder ``mockarray db upgrade``
and ``mockarray serve --demo`` give the README's walk-through.

The wheel is built from a copy of the source (no stale ``build/``) and
installed into a fresh virtual environment in a temporary directory without
its dependencies; those come from this project's environment through a
``.pth`` line (a plain path: the editable install's finder is not activated).
Both are made once for the run, whichever worker comes first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import site
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from mockarray.client import ControlClient
from tests.test_serve import DEMO_PASSWORD, Served, clean_env

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
#: ``mockarray conformance`` of the demo lab's alpha, the mutating checks included.
CONFORMANCE = ["--hostname", "alpha.lab.example", "--username", "admin", "--write"]
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "var", "*.egg-info", "__pycache__", ".*_cache"
)


def run(*command, cwd: Path, env=None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    return done.stdout + done.stderr


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.status == 200, url
        return answer.read().decode()


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The folder of the wheel (``wheel/``) and of a fresh environment with it
    (``venv/``), made once for the run: xdist workers share it, the first to come
    builds it while the others wait on the lock."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "installed"
    root.mkdir(exist_ok=True)
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            build_and_install(root)
            (root / "done").touch()
    return root


def build_and_install(root: Path) -> None:
    """The wheel built from a copy of the source (no stale ``build/``), without build
    isolation (the test extras hold the build requirements: no download, seconds
    saved); a venv without pip of its own, the wheel installed by this one's pip;
    its dependencies from this environment's site-packages."""
    source = root / "source" / "mockarray"
    shutil.copytree(ROOT, source, ignore=SKIP)
    out = root / "wheel"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out,
        source,
        cwd=root,
    )
    [built] = out.glob("mockarray-*.whl")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        built,
        cwd=root,
    )
    [target] = [Path(p) for p in site.getsitepackages() if Path(p).name == "site-packages"]
    purelib = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root
    )
    (Path(purelib.strip()) / "project-dependencies.pth").write_text(f"{target}\n")


@pytest.fixture
def wheel(installed) -> Path:
    [built] = (installed / "wheel").glob("mockarray-*.whl")
    return built


@pytest.fixture
def venv(installed) -> Path:
    """A fresh environment with the wheel; dependencies from this one's site-packages."""
    return installed / "venv"


def test_the_wheel_holds_what_the_package_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "mockarray/wsgi.py",
        "mockarray/__main__.py",
        "mockarray/lab/seeding/demo.yaml",
        "mockarray/plugin/openapi-examples.json",
        "mockarray/lab/api/openapi-examples.json",
        "mockarray/assets/logo-48.png",
        "mockarray/assets/icon-16.png",
        "mockarray/migrations/env.py",
        "mockarray/migrations/script.py.mako",
        "mockarray/migrations/versions/0001_initial_schema.py",
        "mockarray/config/serving.py",
        "mockarray/client/plugin.py",
        "mockarray/pytest_plugin/__init__.py",
        "mockarray/conformance/guide.py",
        "mockarray/lab/dashboard/templates/dashboard/index.html",
        "mockarray/lab/dashboard/templates/dashboard/login.html",
        "mockarray/lab/dashboard/static/dashboard.css",
        "mockarray/lab/dashboard/static/dashboard.js",
        "mockarray/web/templates/mockarray_docs_ui.html",
    ):
        assert expected in names, expected
    versions = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert {n.rsplit("/", 1)[1] for n in names if "/migrations/versions/" in n} == versions
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    )
    assert b"mockarray = mockarray.cli:main" in entry_points
    assert b"[pytest11]\nmockarray = mockarray.pytest_plugin" in entry_points


def test_installed_elsewhere_it_migrates_serves_and_answers_the_readme(venv, tmp_path):
    env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    located = run(
        venv / "bin" / "python",
        "-c",
        "import mockarray; print(mockarray.__file__)",
        cwd=tmp_path,
        env=env,
    )
    assert Path(located.strip()).is_relative_to(venv), located

    mockarray = venv / "bin" / "mockarray"
    upgraded = run(mockarray, "db", "upgrade", cwd=tmp_path, env=env)
    database = tmp_path / "var" / "mockarray.db"
    assert f"Created the database at {database}." in upgraded
    assert database.is_file()

    served = Served(["--demo", "--workers", "1"], tmp_path, command=[mockarray], env=env)
    try:
        served.wait()
        # The README's walk-through.
        status, _, info = served.call("GET", "/info")
        assert status == 200 and info["id"] == "mockarray", info
        assert info["imageUrl"].startswith("data:image/png;base64,")
        session = served.login("alpha.lab.example", DEMO_PASSWORD)
        status, _, servers = served.call("GET", "/server", headers=session)
        assert status == 200, servers
        assert {s["id"] for s in servers["servers"]} == {"svm-db", "svm-files"}
        status, headers, page = served.call(
            "GET", "/server/svm-db/volume?limit=3&start=0", headers=session
        )
        assert status == 200, page
        assert len(page["volumes"]) == 3
        assert int(headers["X-Total-Count"]) > 3
        assert "Seeded 2 array(s) from demo.yaml" in served.log()
        # The dashboard and the docs pages, every file from the installed packages.
        base = f"http://127.0.0.1:{served.port}"
        assert 'id="array-alpha"' in fetch(f"{base}/mockarray/")
        assert "dashboard.js" in fetch(f"{base}/mockarray/")
        for docs in ("/storageplugin/api/docs", "/mockarray/api/docs"):
            assert "/mockarray/assets/swagger-ui/swagger-ui-bundle.js" in fetch(base + docs)
        assert "SwaggerUIBundle" in fetch(
            f"{base}/mockarray/assets/swagger-ui/swagger-ui-bundle.js"
        )
        assert (tmp_path / "var" / "gunicorn.ctl").is_socket()

        # docs/conformance.md: the installed command checks the served lab, writes
        # included (long tasks finish at once, so the run takes seconds).
        url = base
        ControlClient(url).set_clock(instant=True)
        junit = tmp_path / "conformance.xml"
        checked = subprocess.run(
            [mockarray, "conformance", "--url", url, *CONFORMANCE, "--junit", junit],
            cwd=tmp_path,
            env={**env, "MOCKARRAY_CONFORMANCE_PASSWORD": DEMO_PASSWORD},
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert " 0 failed (" in checked.stdout and "CONFORMS." in checked.stdout, checked.stdout
        assert "PASS  volume.split" in checked.stdout
        suite = ET.parse(junit).getroot().find("testsuite")
        assert suite.get("failures") == "0" and int(suite.get("tests")) > 80
    finally:
        served.discard()


def test_installed_its_pytest_plugin_runs_the_docs_example(venv, tmp_path):
    """docs/pytest-example is what users copy: with only the wheel installed, pytest
    finds the plugin, which starts a server with the demo lab for the example."""
    example = ROOT / "docs" / "pytest-example"
    for path in example.glob("test_*.py"):
        shutil.copy(path, tmp_path)
    env = clean_env()
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout, done.stdout
