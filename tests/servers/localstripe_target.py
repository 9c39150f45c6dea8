"""localstripe (PyPI), a fake but stateful Stripe server nobody here wrote, as a target (issue 24).

``start_localstripe()`` runs it in a child process on 127.0.0.1 (a free port), seeds it through
its own POST API (customers with cards, direct charges, subscriptions, whose first invoices,
charges and payment intents it makes itself, and standalone payment intents) and yields
``(base_url, api_key)``. Only this fixture writes; the suite it serves sends GET only.

One change to localstripe, for the tests' sake only: its store writes itself to the fixed file
``/tmp/localstripe.pickle`` after every change, which two test processes would share; the child
process turns that off (it never reads the file back either: ``--from-scratch``). Nothing that
answers a request is changed.

``tests/servers/localstripe.yaml`` describes the four lists as localstripe implements them.
"""

from __future__ import annotations

import contextlib
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import requests

_LAUNCH = """
import sys
import localstripe.resources
localstripe.resources.Store.dump_to_disk = lambda self: None
sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
from localstripe.server import start
start()
"""
EMAILS = ("ada@shop.example", "grace@shop.example", "edsger@shop.example", "barbara@shop.example")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _post(http: requests.Session, url: str, data: dict[str, Any], ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
    response = http.post(url, data=data, timeout=10)
    assert response.status_code in ok, f"seeding localstripe: POST {url} -> {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def seed(base_url: str, api_key: str, customers: int = 30, seed_value: int = 1) -> dict[str, int]:
    """Fill localstripe through its POST API; returns how many of each object were asked for."""
    rng = random.Random(f"localstripe-seed:{seed_value}")
    http = requests.Session()
    http.trust_env = False
    http.auth = (api_key, "")
    product = _post(http, base_url + "/v1/products", {"name": "Conformance plan", "type": "service"})
    plan = _post(http, base_url + "/v1/plans", {"amount": 1500, "currency": "usd", "interval": "month",
                                                "product": product["id"]})
    ids = []
    subscriptions = charges = intents = 0
    for n in range(customers):
        if n == customers // 2:
            # localstripe stamps `created` in whole seconds: the second half of everything seeded
            # is a second newer than the first, so its order (oldest first) is observable.
            time.sleep(1.02 - time.time() % 1)
        customer = _post(http, base_url + "/v1/customers", {
            "email": EMAILS[n % len(EMAILS)], "name": f"Customer {n}", "metadata[n]": str(n)})
        card = _post(http, base_url + "/v1/payment_methods", {
            "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2031", "card[cvc]": "123"})
        _post(http, f"{base_url}/v1/payment_methods/{card['id']}/attach", {"customer": customer["id"]})
        _post(http, f"{base_url}/v1/customers/{customer['id']}",
              {"invoice_settings[default_payment_method]": card["id"]})
        ids.append(customer["id"])
        if n % 3 != 2:  # a subscription: its first invoice, a charge and a payment intent
            _post(http, base_url + "/v1/subscriptions", {"customer": customer["id"], "items[0][plan]": plan["id"]})
            subscriptions += 1
    for _ in range(customers):
        _post(http, base_url + "/v1/charges", _charge(rng, ids, rng.random() < 0.15), ok=(200, 402))
        charges += 1
    for _ in range(customers):
        data: dict[str, Any] = {"amount": rng.randrange(300, 9000), "currency": rng.choice(("usd", "eur"))}
        if rng.random() < 0.7:
            data["customer"] = rng.choice(ids)
        _post(http, base_url + "/v1/payment_intents", data)
        intents += 1
    http.close()
    return {"customers": customers, "subscriptions": subscriptions, "charges": charges, "payment_intents": intents}


def _charge(rng: random.Random, ids: list[str], declined: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"amount": rng.randrange(300, 9000), "currency": rng.choice(("usd", "eur")),
                            "source": "pm_card_visa_chargeDeclined" if declined else "pm_card_visa"}
    if rng.random() < 0.8:
        data["customer"] = rng.choice(ids)
    return data


@contextlib.contextmanager
def start_localstripe(customers: int = 30, seed_value: int = 1) -> Iterator[tuple[str, str]]:
    """localstripe on 127.0.0.1, seeded; yields (base_url, api_key) and stops it afterwards."""
    port = _free_port()
    # Its access log goes to stderr, one line a request: a file, not a pipe nobody drains.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below, after the child)
    child = subprocess.Popen([sys.executable, "-c", _LAUNCH, str(port)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    api_key = "sk_test_ls" + secrets.token_hex(8)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(base_url + "/v1/customers", auth=(api_key, ""), timeout=2).status_code == 200:
                    break
            if child.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                error = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"localstripe did not start on port {port}: {error}")
            time.sleep(0.1)
        seed(base_url, api_key, customers, seed_value)
        yield base_url, api_key
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)
        log.close()
