"""The call log's file (``mockarray.plugin.logfile``): several writers (workers)
append to one file, which rotates by size without losing or splitting a line."""

from __future__ import annotations

import stat
from pathlib import Path

from mockarray.plugin import logfile
from mockarray.plugin.logfile import AppendingLogFile


def lines_in(folder: Path) -> list[str]:
    return [
        line for path in sorted(folder.glob("api.log*")) for line in path.read_text().splitlines()
    ]


def test_writers_share_the_file_and_rotate_it_without_losing_a_line(tmp_path):
    path = tmp_path / "api.log"
    first, second = (AppendingLogFile(path, max_bytes=500, backups=50) for _ in range(2))
    written = []
    for number in range(200):
        line = f"line {number:03d} from {'first' if number % 2 else 'second'}"
        (first if number % 2 else second).write(line)
        written.append(line)
    assert sorted(lines_in(tmp_path)) == sorted(written)
    rotated = sorted(tmp_path.glob("api.log.*"))
    assert len(rotated) > 5
    assert all(p.stat().st_size < 500 + 40 for p in rotated)
    # Both writers went on in the newest file after every rotation.
    first.write("last from first")
    second.write("last from second")
    newest = path.read_text().splitlines()
    assert newest[-2:] == ["last from first", "last from second"]
    assert newest[:-2] == written[len(written) - len(newest) + 2 :]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_only_the_newest_backups_are_kept(tmp_path):
    path = tmp_path / "api.log"
    log = AppendingLogFile(path, max_bytes=100, backups=2)
    for number in range(100):
        log.write(f"line {number:03d}")
    assert sorted(p.name for p in tmp_path.glob("api.log*")) == [
        "api.log",
        "api.log.1",
        "api.log.2",
    ]
    assert path.read_text().splitlines()[-1] == "line 099"


def test_a_file_emptied_or_removed_meanwhile_is_written_again(tmp_path):
    path = tmp_path / "api.log"
    log = AppendingLogFile(path, max_bytes=0, backups=0)
    log.write("one")
    path.write_bytes(b"")
    log.write("two")
    assert path.read_text() == "two\n"
    path.unlink()
    log.write("three")
    assert path.read_text() == "three\n"
    log.close()


def test_a_file_that_took_the_name_is_written_from_the_next_look(tmp_path, monkeypatch):
    # As logrotate does: the log renamed away, a new file made under its name.
    monkeypatch.setattr(logfile, "NAME_CHECK_S", 0.0)  # the name is looked up every line
    path = tmp_path / "api.log"
    log = AppendingLogFile(path, max_bytes=0, backups=0)
    log.write("one")
    path.rename(tmp_path / "api.log.old")
    path.write_bytes(b"")
    log.write("two")
    assert path.read_text() == "two\n"
    assert (tmp_path / "api.log.old").read_text() == "one\n"
    log.close()
