"""spec/openapi.yaml validates, and is the one place field types live."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from conformance.errors import SpecError
from conformance.resources import openapi_path
from conformance.spec import default_spec, load_spec


def test_openapi_document_validates() -> None:
    validate(yaml.safe_load(openapi_path().read_text()))


def test_session_schema_documents_every_key_of_the_reference_page() -> None:
    seed_keys = {
        "id", "object", "mode", "status", "payment_status", "ui_mode", "customer_creation",
        "billing_address_collection", "expires_at", "metadata", "livemode", "created", "url", "client_secret",
        "success_url", "cancel_url", "customer", "customer_email", "customer_details", "payment_intent",
        "currency", "amount_subtotal", "amount_total", "total_details", "shipping_address_collection",
        "shipping_options", "shipping_details", "phone_number_collection", "client_reference_id",
    }
    assert set(default_spec().component("CheckoutSession")["properties"]) == seed_keys


def test_self_link_feeds_next_cursor_into_starting_after() -> None:
    links = default_spec().operation["responses"]["200"]["links"]
    assert links["nextPage"]["parameters"] == {"starting_after": "$response.body#/next_cursor"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("openapi: 3.1.0\ninfo: {}\n", "invalid", id="invalid-openapi"),
        pytest.param("a: [unclosed\n", "not valid YAML", id="bad-yaml"),
        pytest.param("- just a list\n", "not a mapping", id="not-a-mapping"),
    ],
)
def test_an_invalid_spec_is_one_clear_sentence(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(content)
    with pytest.raises(SpecError, match=message):
        load_spec(path)


def test_a_remembered_validation_covers_only_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.generation_cache import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    path = tmp_path / "openapi.yaml"
    original = openapi_path().read_text()
    path.write_text(original)
    assert load_spec(path).sha256 == default_spec().sha256
    assert [p.name.startswith("spec-valid-") for p in (tmp_path / "cache").iterdir()] == [True]
    # Other bytes are validated again, and refused (a path item must be a mapping).
    path.write_text(original.replace("paths:\n", "paths:\n  /broken: 7\n", 1))
    with pytest.raises(SpecError, match="invalid"):
        load_spec(path)
    assert len(list((tmp_path / "cache").iterdir())) == 1
