"""The churn's request clock: the same change for the same requests, whatever the machine's speed."""

from __future__ import annotations

import time

import requests

from conformance.reference.churn import REQUEST_CLOCK, REQUESTS_PER_SECOND, Churn
from conformance.reference.server import ReferenceConfig, start_background
from conformance.reference.store import open_store


def test_the_request_clock_counts_requests_not_seconds() -> None:
    store = open_store(20, 0)
    churn = Churn(store, rate=4.0, expiry_rate=1.0, clock=REQUEST_CLOCK).start()
    time.sleep(0.3)  # on the wall clock this would already be one creation due: nothing happens
    assert (churn.created, churn.expired) == (0, 0)
    for _ in range(REQUESTS_PER_SECOND):
        churn.on_request()
    assert (churn.created, churn.expired) == (4, 1)
    for _ in range(REQUESTS_PER_SECOND // 2):
        churn.on_request()
    assert (churn.created, churn.expired) == (6, 1)
    churn.stop()


def test_a_served_request_advances_the_request_clock_and_the_wall_clock_ignores_it() -> None:
    config = ReferenceConfig(sessions=10, churn=REQUESTS_PER_SECOND / 10, churn_expiry=0.0, churn_clock=REQUEST_CLOCK)
    with start_background(config) as server:
        for _ in range(10):
            requests.get(f"{server.base_url}/v1/checkout/sessions", auth=(server.api_key, ""), timeout=10)
        assert server.churn.created == 1  # one creation per ten requests, after the tenth
    wall = Churn(open_store(5, 0), rate=1000.0, expiry_rate=0.0)
    wall.on_request()
    assert wall.created == 0  # the wall clock's thread alone creates (started by start())
