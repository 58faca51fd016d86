"""One request at a time per worker (``mockarray.turns``); a waiting one hands its turn on."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from mockarray.turns import OneAtATime, turn_given_up


def test_requests_take_turns_and_a_waiting_one_lets_the_others_run():
    running = 0
    most = 0
    guard = threading.Lock()
    log: list[str] = []

    def app(environ, start_response):
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        try:
            if environ["name"] == "sleeper":
                with turn_given_up():
                    log.append("sleeper waits")
                    time.sleep(0.3)
                log.append("sleeper back")
            else:
                time.sleep(0.01)
                log.append(environ["name"])
        finally:
            with guard:
                running -= 1
        return [b"ok"]

    wrapped = OneAtATime(app)
    with ThreadPoolExecutor(max_workers=6) as pool:
        sleeper = pool.submit(wrapped, {"name": "sleeper"}, None)
        time.sleep(0.05)
        others = [pool.submit(wrapped, {"name": f"call {n}"}, None) for n in range(5)]
        assert [call.result() for call in others] == [[b"ok"]] * 5
        assert sleeper.result() == [b"ok"]
    # The others ran one at a time, while the sleeper waited without its turn.
    assert most == 2
    assert log[0] == "sleeper waits" and log[-1] == "sleeper back"
    assert sorted(log[1:-1]) == [f"call {n}" for n in range(5)]


def test_outside_a_request_giving_up_the_turn_is_nothing():
    with turn_given_up():
        pass
