"""Settings read from the environment: the long tasks' rates."""

from __future__ import annotations

import pytest

from mockarray import config


def test_long_tasks_are_quick_by_default():
    settings = config.from_env({})
    assert (settings["SPLIT_RATE"], settings["REPLICATION_RATE"]) == ("quick", "quick")


@pytest.mark.parametrize(
    ("raw", "split", "replication"),
    [
        ("quick", "quick", "quick"),
        ("Realistic", 512 * 2**20, 128 * 2**20),
        ("1073741824", 2**30, 2**30),
    ],
)
def test_a_rate_is_quick_realistic_or_bytes_per_second(raw, split, replication):
    settings = config.from_env({"MOCKARRAY_SPLIT_RATE": raw, "MOCKARRAY_REPLICATION_RATE": raw})
    assert (settings["SPLIT_RATE"], settings["REPLICATION_RATE"]) == (split, replication)


@pytest.mark.parametrize("raw", ["fast", "0", "-5", "1.5"])
def test_another_rate_is_refused_naming_the_variable(raw):
    with pytest.raises(config.ConfigError, match="MOCKARRAY_SPLIT_RATE must be quick"):
        config.from_env({"MOCKARRAY_SPLIT_RATE": raw})
