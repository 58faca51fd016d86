"""The plugin API under load, served as users serve it.

    .venv/bin/python benchmarks/api.py                       # 10,000 volumes, SQLite
    .venv/bin/python benchmarks/api.py --volumes 100 --duration 3
    .venv/bin/python benchmarks/api.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python benchmarks/api.py --only 'list|create'

It writes a fixture of N volumes (``benchmarks/seed.py``'s generator), seeds it
with ``mockarray seed`` into a throwaway data directory (or the empty database
a URL names), starts ``mockarray serve`` (gunicorn, ``--workers`` sync
workers), logs in, and drives each case with ``--concurrency`` clients for
``--duration`` seconds. Each line: requests per second, p50 and p99 latency
in milliseconds, errors, and the server's CPU time per request (its master
and workers, from /proc: the steadiest figure on a shared machine).

The clients are Python threads with keep-alive connections; they share the
machine with the server, so req/s is a floor. Everything stops by itself.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import fixture

PREFIX = "/storageplugin/api"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its children (gunicorn's workers), from /proc."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return total


@dataclass
class Server:
    cli: Path
    data_dir: Path
    env: dict[str, str]
    workers: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def run(self, *args: str) -> None:
        done = subprocess.run([str(self.cli), *args], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            # The CLI's own last word (e.g. "database "bench" does not exist"), not a traceback.
            said = [
                line
                for line in (done.stderr or done.stdout).splitlines()
                if line.strip() and not line.startswith("(Background on this error")
            ] or ["(nothing)"]
            raise SystemExit(f"mockarray {' '.join(args)} failed: {said[-1]}")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(self.cli),
                "serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = Client(self.port).call("GET", "/info")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


# -- the clients --------------------------------------------------------------------------


class Client:
    """One keep-alive connection to the plugin API."""

    def __init__(self, port: int, session: str | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Accept": "application/json"}
        if session:
            self.headers["x-storageplugin-sessionid"] = session

    def call(self, method: str, path: str, body: dict | None = None, headers=None):
        sent = dict(self.headers, **(headers or {}))
        payload = None
        if body is not None:
            payload = json.dumps(body)
            sent["Content-Type"] = "application/json"
        self.connection.request(method, PREFIX + path, payload, sent)
        answer = self.connection.getresponse()
        data = answer.read()
        return answer.status, (json.loads(data) if data else None)


def log_in(port: int) -> str:
    token = base64.b64encode(b"admin:secret").decode()
    status, body = Client(port).call(
        "POST", "/session", {"hostname": "bench.lab.test"}, {"Authorization": f"Basic {token}"}
    )
    assert status == 201, (status, body)
    return body["sessionId"]


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    seconds: float
    cpu: float

    def line(self) -> str:
        done = sorted(self.latencies)
        count = len(done)
        p50 = done[count // 2] * 1000 if count else 0.0
        p99 = done[min(count - 1, int(count * 0.99))] * 1000 if count else 0.0
        rate = count / self.seconds if self.seconds else 0.0
        cpu_ms = self.cpu * 1000 / count if count else 0.0
        return (
            f"{self.name:28s} {rate:8.0f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
            f"errors {self.errors:4d}  cpu {cpu_ms:5.2f} ms/req"
        )


#: A case: given a client and the client's number, make one call and say if it went well.
Step = Callable[[Client, int, int], bool]


def drive(server: Server, session: str, name: str, step: Step, args) -> Result:
    stop = time.monotonic() + args.duration
    latencies: list[list[float]] = [[] for _ in range(args.concurrency)]
    errors = [0] * args.concurrency

    def worker(number: int) -> None:
        client = Client(server.port, session)
        count = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                good = step(client, number, count)
            except (OSError, http.client.HTTPException):
                client = Client(server.port, session)
                good = False
            latencies[number].append(time.perf_counter() - started)
            errors[number] += 0 if good else 1
            count += 1

    before, started = cpu_seconds(server.process.pid), time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(server.process.pid) - before
    return Result(name, [x for each in latencies for x in each], sum(errors), elapsed, cpu)


def cases(ids: dict) -> dict[str, Step]:
    """The plugin API's main calls. Writes make and remove their own objects."""
    volume, last = ids["volume"], ids["last_start"]
    volumes = "/server/0/volume"
    host, lun, group = ids["host"], ids["lun"], ids["group"]

    def status_is(expected: int, method: str, path: str, body=None) -> Step:
        return lambda client, _n, _i: client.call(method, path, body)[0] == expected

    def snapshot_cycle(client: Client, number: int, i: int) -> bool:
        status, body = client.call(
            "POST", f"/server/0/volume/{volume}/snapshot", {"name": f"bench-{number}-{i}"}
        )
        if status != 201:
            return False
        return client.call("DELETE", f"{volumes}/{volume}/snapshot/{body['id']}")[0] == 204

    def clone_cycle(client: Client, number: int, i: int) -> bool:
        status, body = client.call(
            "POST",
            f"/server/0/volume/{volume}?action=clone",
            {"name": f"bench-clone-{number}-{i}", "snapshot": {"id": ids["snapshot"]}},
        )
        if status != 200:
            return False
        return client.call("DELETE", f"/server/0/volume/{body['id']}")[0] == 200

    def map_cycle(client: Client, number: int, i: int) -> bool:
        lun_id = ids["spare_luns"][number % len(ids["spare_luns"])]
        if i % 2 == 0:
            return client.call("POST", f"/server/0/host/{host}?action=map", {"lunId": lun_id})[
                0
            ] in (200, 409)
        return client.call("POST", f"/server/0/host/{host}?action=unmap", {"lunId": lun_id})[0] in (
            200,
            404,
        )

    def group_snapshot(client: Client, number: int, i: int) -> bool:
        return (
            client.call(
                "POST",
                f"/server/0/consistencygroup/{group}?action=take-snapshot",
                {"prefix": f"bench-cg-{number}-{i}-"},
            )[0]
            == 200
        )

    return {
        "list volumes (first page)": status_is(200, "GET", "/server/0/volume?limit=25&start=0"),
        "list volumes (last page)": status_is(
            200, "GET", f"/server/0/volume?limit=25&start={last}"
        ),
        "get volume": status_is(200, "GET", f"/server/0/volume/{volume}"),
        "list snapshots of a volume": status_is(200, "GET", f"/server/0/volume/{volume}/snapshot"),
        "get lun": status_is(200, "GET", f"/server/0/lun/{lun}"),
        "list hosts": status_is(200, "GET", "/server/0/host?limit=25"),
        "create+delete snapshot": snapshot_cycle,
        "clone+delete volume": clone_cycle,
        "map/unmap": map_cycle,
        "take group snapshot": group_snapshot,
    }


def lab_ids(port: int, session: str) -> dict:
    client = Client(port, session)
    client.connection.request("GET", f"{PREFIX}/server/0/volume?limit=1", headers=client.headers)
    answer = client.connection.getresponse()
    volume = json.loads(answer.read())["volumes"][0]["id"]
    total = int(answer.getheader("X-Total-Count"))
    _, snapshots = client.call("GET", f"/server/0/volume/{volume}/snapshot?limit=1")
    _, hosts = client.call("GET", "/server/0/host?limit=1")
    _, luns = client.call("GET", "/server/0/lun")
    _, groups = client.call("GET", "/server/0/consistencygroup?limit=1")
    host = hosts["hosts"][0]
    mapped = set(host["mappedLunIds"])
    spare = [lun["id"] for lun in luns["luns"] if lun["id"] not in mapped][:16]
    return {
        "volume": volume,
        "last_start": max(total - 25, 0),
        "snapshot": snapshots["snapshots"][0]["id"],
        "host": host["id"],
        "lun": luns["luns"][0]["id"],
        "spare_luns": spare,
        "group": groups["consistencyGroups"][0]["id"],
    }


def bench_fixture(volumes: int) -> str:
    """``seed.py``'s lab, plus one consistency group of the first volume."""
    text = fixture(volumes, hosts=max(2, volumes // 200))
    group = "        consistencyGroups:\n          - {name: bench-cg, volumes: [vol000000]}\n"
    return re.sub(r"(\n        hosts:\n)", "\n" + group.rstrip("\n") + r"\1", text, count=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volumes", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per case")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("MOCKARRAY_BENCH_DATABASE_URL"))
    parser.add_argument("--only", help="regular expression: run only the cases it matches")
    args = parser.parse_args()

    cli = Path(sys.executable).with_name("mockarray")
    data_dir = Path(tempfile.mkdtemp(prefix="mockarray-bench-"))
    env = dict(os.environ, MOCKARRAY_DATA_DIR=str(data_dir), MOCKARRAY_LOG_LEVEL="WARNING")
    if args.database_url:
        env["MOCKARRAY_DATABASE_URL"] = args.database_url
    server = Server(cli, data_dir, env, args.workers)
    seeded = False
    try:
        fixture_file = data_dir / "lab.yaml"
        fixture_file.write_text(bench_fixture(args.volumes))
        started = time.perf_counter()
        server.run("db", "upgrade")
        server.run("seed", "--replace", str(fixture_file))
        seeded = True
        print(f"seeded {args.volumes} volumes in {time.perf_counter() - started:.1f} s")
        server.start()
        session = log_in(server.port)
        ids = lab_ids(server.port, session)
        database = "PostgreSQL" if args.database_url else "SQLite"
        print(
            f"{database}, {args.workers} workers, {args.concurrency} clients, "
            f"{args.duration:g} s per case"
        )
        for name, step in cases(ids).items():
            if args.only and not re.search(args.only, name):
                continue
            print(drive(server, session, name, step, args).line(), flush=True)
    finally:
        server.stop()
        if args.database_url and seeded:
            server.run("reset", "--empty", "--yes")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
