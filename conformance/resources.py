"""Where the shipped spec files live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import SpecError

# A source checkout keeps spec/ beside the package; a wheel carries it as conformance/_spec.
_CHECKOUT_SPEC = Path(__file__).resolve().parent.parent / "spec"


# libyaml's safe loader when PyYAML was built with it: the same documents, parsed ~8x faster
# (0.28 -> 0.03 s for the spec and the catalog, at every start).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def spec_dir() -> Path:
    if (_CHECKOUT_SPEC / "openapi.yaml").is_file():
        return _CHECKOUT_SPEC
    return Path(str(resources.files("conformance") / "_spec"))


def openapi_path() -> Path:
    return spec_dir() / "openapi.yaml"


def family_path() -> Path:
    """The document of the reference server's family of list operations (issue 24): checkout
    sessions, customers and invoices (spec/family.yaml, shipped beside openapi.yaml)."""
    return spec_dir() / "family.yaml"


def requirements_path() -> Path:
    return spec_dir() / "requirements.yaml"


def read_yaml(path: Path, what: str) -> tuple[bytes, Any]:
    """(raw bytes, parsed data) of a shipped YAML file; SpecError in one sentence otherwise."""
    try:
        raw = path.read_bytes()
        return raw, yaml.load(raw, Loader=_SAFE_LOADER)
    except OSError as exc:
        raise SpecError(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"The {what} {path} is not valid YAML ({exc}).") from None
