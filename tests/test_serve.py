"""``mockarray serve``: gunicorn through its Python API, migrating first and
seeding an empty database; two instances on one host keep apart (each its own
data directory, database and control socket)."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from mockarray.cli.testing import MockarrayRunner
from mockarray.config.serving import CONTROL_SOCKET, gunicorn_settings
from tests.support.api import PASSWORD
from tests.support.lab import array_doc

PREFIX = "/storageplugin/api"
DEMO_PASSWORD = "passw0rd"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any ``MOCKARRAY_*`` setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKARRAY_")}
    return {**env, **extra}


class Served:
    """``mockarray serve ARGS`` in a process of its own, run as ``command``
    (default ``python -m mockarray``) from ``cwd``."""

    def __init__(self, args: list[str], cwd: Path, command=None, env=None, scheme="http"):
        self.port = free_port()
        self.scheme = scheme
        self.output = cwd / f"serve-{self.port}.log"
        command = command or [sys.executable, "-m", "mockarray"]
        self.process = subprocess.Popen(
            [*command, "serve", "--bind", f"127.0.0.1:{self.port}", *args],
            cwd=cwd,
            env=env or clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=self.output.open("w"),
            # Its own process group, so that ``discard`` takes the workers too.
            start_new_session=True,
        )

    def log(self) -> str:
        return self.output.read_text()

    def wait(self, seconds: float = 60) -> Served:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mockarray serve exited: {self.log()}")
            try:
                if self.call("GET", "/info")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"mockarray serve did not answer within {seconds} s: {self.log()}")

    def stop(self) -> None:
        """A graceful stop, as Ctrl-C or a service manager's would be."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def discard(self) -> None:
        """Gone at once, at the end of a test that looks at nothing of it again (a
        graceful stop takes gunicorn a second)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def call(self, method: str, path: str, body=None, headers=None):
        """``(status, headers, body)`` of a call below the plugin API."""
        request = urllib.request.Request(
            f"{self.scheme}://127.0.0.1:{self.port}{PREFIX}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Accept": "application/json", "Content-Type": "application/json"}
            | (headers or {}),
        )
        context = ssl._create_unverified_context() if self.scheme == "https" else None
        try:
            with urllib.request.urlopen(request, timeout=30, context=context) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")

    def login(self, hostname: str, password: str = PASSWORD) -> dict[str, str]:
        token = base64.b64encode(f"admin:{password}".encode()).decode()
        status, _, body = self.call(
            "POST",
            "/session",
            {"hostname": hostname, "port": 8443},
            {"Authorization": f"Basic {token}"},
        )
        assert status == 201, body
        return {"x-storageplugin-sessionid": body["sessionId"]}


# -- without a server ------------------------------------------------------------------------


def test_the_settings_put_the_control_socket_in_the_data_dir(tmp_path):
    config = {"BIND": "127.0.0.1:1", "WORKERS": 3, "LOG_LEVEL": "INFO", "DATA_DIR": str(tmp_path)}
    settings = gunicorn_settings(config)
    assert settings["control_socket"] == str(tmp_path / CONTROL_SOCKET)
    assert (settings["bind"], settings["workers"]) == (["127.0.0.1:1"], 3)
    assert "certfile" not in settings
    tls = gunicorn_settings({**config, "TLS_CERTFILE": "c.pem", "TLS_KEYFILE": "k.pem"})
    assert (tls["certfile"], tls["keyfile"]) == ("c.pem", "k.pem")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--demo", "--seed", "lab.yaml"], "--demo or --seed FILE, not both"),
        (["--certfile", "cert.pem"], "both --certfile and --keyfile"),
    ],
)
def test_serve_refuses_options_that_do_not_go_together(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lab.yaml").write_text("arrays: []\n")
    (tmp_path / "cert.pem").write_text("")
    result = MockarrayRunner({"DATA_DIR": str(tmp_path / "data")}).invoke(args=["serve", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "data").exists()


# -- live -----------------------------------------------------------------------------------------


@pytest.mark.live
def test_two_instances_on_one_host_keep_apart(tmp_path):
    lab = tmp_path / "lab.yaml"
    lab.write_text(yaml.safe_dump({"arrays": [array_doc("gamma", 3)]}))
    data_a, data_b = tmp_path / "a", tmp_path / "b"
    a = Served(["--demo", "--data-dir", str(data_a), "--workers", "1"], tmp_path)
    b = Served(["--seed", str(lab), "--data-dir", str(data_b), "--workers", "1"], tmp_path)
    try:
        a.wait()
        b.wait()
        a.login("alpha.lab.example", DEMO_PASSWORD)
        b.login("gamma.lab.test")
        assert a.call("GET", "/info")[2]["id"] == b.call("GET", "/info")[2]["id"]
        # Each has its own database and control socket, in its own data directory.
        for served, data in ((a, data_a), (b, data_b)):
            assert (data / "mockarray.db").is_file()
            assert (data / CONTROL_SOCKET).is_socket(), served.log()
            assert f"Created the database at {data / 'mockarray.db'}." in served.log()
        assert "Seeded 2 array(s) from demo.yaml: alpha, bravo." in a.log()
        assert f"Seeded 1 array(s) from {lab}: gamma." in b.log()
        assert not (tmp_path / "var").exists()
    finally:
        a.stop()
        b.discard()
    # Started again on a database that holds arrays, it does not seed.
    again = Served(["--demo", "--data-dir", str(data_a), "--workers", "1"], tmp_path)
    try:
        again.wait()
        again.login("alpha.lab.example", DEMO_PASSWORD)
        assert "nothing seeded" in again.log()
        assert "Created" not in again.log()
    finally:
        again.discard()


@pytest.mark.live
def test_serve_speaks_https_with_a_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    openssl = [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
    ]
    subprocess.run(
        ["openssl", *openssl, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    tls = ["--certfile", str(cert), "--keyfile", str(key)]
    served = Served(
        ["--data-dir", str(tmp_path / "data"), "--workers", "1", *tls],
        tmp_path,
        scheme="https",
    )
    try:
        served.wait()
        assert "on https://127.0.0.1" in served.log()
    finally:
        served.discard()
