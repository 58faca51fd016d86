"""How long a checkpoint takes to save and restore, for a lab of N volumes.

    .venv/bin/python benchmarks/checkpoint_restore.py            # 10,000 volumes, SQLite
    .venv/bin/python benchmarks/checkpoint_restore.py --volumes 1000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Each volume has a snapshot and a LUN mapped to a host, so every table of the
state has rows. A throwaway SQLite database is used unless a URL is given (the
tables must not exist yet there: the script migrates it).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from mockarray.database import Database
from mockarray.lab import checkpoints
from mockarray.lab.seeding.loader import seed
from mockarray.migrate import upgrade


def lab(volumes: int) -> str:
    hosts = max(volumes // 200, 1)
    server = {
        "pools": [{"name": "pool", "capacity": f"{volumes * 2}GiB"}],
        "volumes": [
            {
                "name": f"vol{i:05d}",
                "size": "1GiB",
                "used": "100MiB",
                "snapshots": [{"name": f"vol{i:05d}.snap", "used": "1MiB"}],
            }
            for i in range(volumes)
        ],
        "hosts": [
            {
                "name": f"host{h:03d}",
                "iqns": [f"iqn.2000-01.com.example:host{h:03d}"],
                "luns": [
                    {"volume": f"vol{i:05d}", "lunNumber": i // hosts}
                    for i in range(h, volumes, hosts)
                ],
            }
            for h in range(hosts)
        ],
    }
    document = {
        "arrays": [
            {
                "name": "bench",
                "hostname": "bench.lab.test",
                "ipAddress": "198.51.100.200",
                "username": "admin",
                "password": "secret",
                "servers": [server],
            }
        ]
    }
    return yaml.safe_dump(document)


def timed(label: str, action) -> float:
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"{label:<28} {elapsed * 1000:8.0f} ms")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=int, default=10_000)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        database = Database(url)
        upgrade(database)
        print(f"{options.volumes} volumes (with a snapshot and a mapped LUN each) on {url}")
        text = lab(options.volumes)

        def do_seed():
            with database.transaction() as session:
                seed(session, text, "bench.yaml")

        def do_save():
            with database.transaction() as session:
                checkpoints.save(session, "bench")

        def do_restore():
            with database.transaction() as session:
                checkpoints.restore(session, "bench")

        timed("seed", do_seed)
        timed("checkpoint save", do_save)
        for attempt in (1, 2, 3):
            timed(f"checkpoint restore #{attempt}", do_restore)
        database.dispose()


if __name__ == "__main__":
    main()
