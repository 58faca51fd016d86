"""How long seeding a fixture of N volumes takes, through the real loader.

    .venv/bin/python benchmarks/seed.py                     # 10,000 volumes, SQLite
    .venv/bin/python benchmarks/seed.py --volumes 100000
    .venv/bin/python benchmarks/seed.py --volumes 1000 --snapshots 0 --hosts 0
    .venv/bin/python benchmarks/seed.py --profile seed.prof  # then: python -m pstats seed.prof
    MOCKARRAY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/seed.py

The fixture is one array with one server: N volumes, each with ``--snapshots``
snapshots and a LUN mapped to one of ``--hosts`` hosts (default one host per
200 volumes). A throwaway SQLite database is used unless a URL is given
(``--database-url`` or ``MOCKARRAY_BENCH_DATABASE_URL``): the script migrates
it, and rolls the seeding back there so that it stays empty.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import tempfile
import time
from pathlib import Path

from mockarray.database import Database
from mockarray.lab.seeding.loader import seed
from mockarray.migrate import upgrade


def fixture(volumes: int, snapshots: int = 1, hosts: int | None = None) -> str:
    """The YAML text of the lab (written directly: dumping 100,000 volumes is slow)."""
    hosts = max(volumes // 200, 1) if hosts is None else hosts
    lines = [
        "arrays:",
        "  - name: bench",
        "    hostname: bench.lab.test",
        "    ipAddress: 198.51.100.200",
        "    username: admin",
        "    password: secret",
        "    servers:",
        "      - pools:",
        f"          - {{name: pool, capacity: {volumes * 20 + 1}GiB}}",
        "        volumes:",
    ]
    for i in range(volumes):
        lines.append(f"          - name: vol{i:06d}")
        lines.append("            size: 10GiB")
        lines.append("            used: 1GiB")
        if snapshots:
            lines.append("            snapshots:")
            lines += [f"              - {{name: snap{j}, used: 1MiB}}" for j in range(snapshots)]
    if hosts:
        lines.append("        hosts:")
    for h in range(hosts):
        lines.append(f"          - name: host{h:04d}")
        lines.append(f"            iqns: [iqn.2000-01.com.example:host{h:04d}]")
        mapped = range(h, volumes, hosts)
        lines.append("            luns:" + ("" if mapped else " []"))
        lines += [
            f"              - {{volume: vol{i:06d}, lunNumber: {n}}}" for n, i in enumerate(mapped)
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=int, default=10_000)
    parser.add_argument("--snapshots", type=int, default=1, help="per volume (default 1)")
    parser.add_argument("--hosts", type=int, help="hosts the LUNs are mapped to (0: none)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("MOCKARRAY_BENCH_DATABASE_URL"),
        help="an empty database to use (default: a throwaway SQLite file)",
    )
    parser.add_argument("--profile", metavar="FILE", help="write cProfile statistics to FILE")
    options = parser.parse_args()
    text = fixture(options.volumes, options.snapshots, options.hosts)
    with tempfile.TemporaryDirectory() as folder:
        throwaway = options.database_url is None
        url = options.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        database = Database(url)
        upgrade(database)
        print(
            f"{options.volumes} volumes, {options.snapshots} snapshot(s) each, "
            f"{len(text) // 1024} KiB of YAML, on {database.url.render_as_string()}"
        )
        profiler = cProfile.Profile() if options.profile else None
        session = database.session(write=True)
        try:
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            seed(session, text, "bench.yaml")
            if profiler:
                profiler.disable()
            seeded, cpu_seeded = time.perf_counter(), time.process_time()
            if throwaway:
                session.commit()
            else:
                session.rollback()
            ended = time.perf_counter()
        finally:
            session.close()
            database.dispose()
        # CPU time too: on a shared machine the wall clock also counts the others' work.
        print(f"seed   {seeded - started:8.2f} s  (CPU {cpu_seeded - cpu_started:.2f} s)")
        print(f"{'commit' if throwaway else 'undo':<6} {ended - seeded:8.2f} s")
        if profiler:
            profiler.dump_stats(options.profile)


if __name__ == "__main__":
    main()
