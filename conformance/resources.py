"""Where the shipped spec files live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# A source checkout keeps spec/ beside the package; a wheel carries it as conformance/_spec.
_CHECKOUT_SPEC = Path(__file__).resolve().parent.parent / "spec"


def spec_dir() -> Path:
    if (_CHECKOUT_SPEC / "openapi.yaml").is_file():
        return _CHECKOUT_SPEC
    return Path(str(resources.files("conformance") / "_spec"))


def openapi_path() -> Path:
    return spec_dir() / "openapi.yaml"


def requirements_path() -> Path:
    return spec_dir() / "requirements.yaml"
