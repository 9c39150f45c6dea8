"""`run` options from a TOML file: `[tool.checkout-conformance]` in ./pyproject.toml, or `--config PATH`.

Keys are the long option names of `run` (``base-url``, ``profile``, ``strict``, ``report-dir``,
``waivers``, ``max-requests``, ``timeout``, ``only``, ``header``, ...). The file only changes the
parser's *defaults*, so the order of precedence is flags > environment variables
(``CONFORMANCE_BASE_URL``) > file > built-in defaults. Values are checked with the very
converters the flags use, and relative paths are taken from the file's own directory.

Refused, each with exit 2 (``UsageError``) before anything is sent: an API key in the file
(secrets do not belong in committed files: ``CONFORMANCE_API_KEY``) or a header whose name
says it holds a secret, a key that is not an
option of `run`, a value of the wrong TOML type or out of range, and a file that is not TOML.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path
from typing import Any

from conformance.errors import UsageError
from conformance.record.redaction import looks_secret

PYPROJECT = "pyproject.toml"
TABLE = "checkout-conformance"  # [tool.checkout-conformance]
SECRET_KEYS = frozenset({"api-key", "api_key"})
# Options whose default an environment variable already sets: that value beats the file.
# Not `ca-bundle`: $REQUESTS_CA_BUNDLE and $SSL_CERT_FILE are ambient, often set machine-wide
# to the system store, so the project's own file beats them (conformance.record.tls.tls_options
# falls back to them only when neither a flag nor the file names a bundle).
ENV_BACKED = {"base-url": ("CONFORMANCE_BASE_URL",)}
# Options that make no sense in a file (they name the file, or are the parser's own).
NOT_IN_FILE = frozenset({"config", "help"})


def load_settings(explicit: Path | None, cwd: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """(raw key -> value table, the file it came from); ({}, None) when there is none.

    `explicit` (from --config) must exist and be TOML; otherwise ./pyproject.toml is read when
    present and used only if it has a [tool.checkout-conformance] table.
    """
    if explicit is not None:
        data = _read_toml(explicit)
        # A dedicated file holds the keys at the top level; a pyproject.toml-shaped one is accepted too.
        table = data.get("tool", {}).get(TABLE) if isinstance(data.get("tool"), dict) else None
        return (table if isinstance(table, dict) else data), explicit
    candidate = (cwd or Path.cwd()) / PYPROJECT
    if not candidate.is_file():
        return {}, None
    data = _read_toml(candidate)
    tool = data.get("tool")
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    if table is None:
        return {}, None
    if not isinstance(table, dict):
        raise UsageError(f"{candidate}: [tool.{TABLE}] must be a table of option names.")
    return table, candidate


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"The config file {path} does not exist.") from None
    except OSError as exc:
        raise UsageError(f"Cannot read the config file {path}: {exc.strerror or exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"The config file {path} is not valid TOML ({exc}).") from None


def apply_to_parser(parser: argparse.ArgumentParser, settings: dict[str, Any], source: Path) -> dict[str, list[Any]]:
    """Turn the file's table into defaults of `parser` (the `run` subparser); UsageError on a bad entry.

    Returns the repeatable options' lists (dest -> values), which are not made defaults: argparse
    would add a flag's values to them, and a flag must replace the file's list, not extend it.
    """
    # The key is the option's long name: the first `--` one (`--strict`, not its `--no-strict`).
    actions = {long[0].removeprefix("--"): a for a in parser._actions
               if (long := [o for o in a.option_strings if o.startswith("--")])}
    defaults: dict[str, Any] = {}
    for key, value in settings.items():
        if key in SECRET_KEYS:
            raise UsageError(f"{source} sets {key}: secrets do not belong in a config file; "
                             "set the environment variable CONFORMANCE_API_KEY instead.")
        action = actions.get(key)
        if action is None or key in NOT_IN_FILE:
            known = ", ".join(sorted(k for k in actions if k not in NOT_IN_FILE | SECRET_KEYS))
            raise UsageError(f"{source} has the unknown key {key!r}; the keys are the long options of run: {known}.")
        if key == "base-url" and os.environ.get("CONFORMANCE_BASE_URL") is not None:
            continue  # the environment variable beats the file, even set but empty (then a usage error)
        if any(os.environ.get(env) for env in ENV_BACKED.get(key, ())):
            continue  # a set variable beats the file (an empty CA variable counts as unset, as in requests)
        defaults[action.dest] = _convert(key, value, action, source)
    for name, _ in defaults.get("header", []):
        if looks_secret(name):
            raise UsageError(f"{source} sets the header {name}, whose value looks like a secret: pass it with "
                             "--header from a CI secret instead; secrets do not belong in a config file.")
    lists = {a.dest: defaults.pop(a.dest) for a in actions.values()
             if isinstance(a, argparse._AppendAction) and a.dest in defaults}
    parser.set_defaults(**defaults)
    return lists


def _convert(key: str, value: Any, action: argparse.Action, source: Path) -> Any:
    where = f"{source}: {key}"
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction | argparse.BooleanOptionalAction):
        if not isinstance(value, bool):
            raise UsageError(f"{where} must be true or false, not {value!r}.")
        return value
    if isinstance(action, argparse._AppendAction):
        items = value if isinstance(value, list) else None
        if items is None or not all(isinstance(i, str) for i in items):
            raise UsageError(f"{where} must be a list of strings, such as [\"...\"], not {value!r}.")
        return [_one(where, i, action, source) for i in items]
    return _one(where, value, action, source)


def _one(where: str, value: Any, action: argparse.Action, source: Path) -> Any:
    numeric = _is_numeric(action)
    if numeric:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"{where} must be a number, not {value!r}.")
    elif not isinstance(value, str):
        raise UsageError(f"{where} must be a string, not {value!r}.")
    converted: Any = value
    if callable(action.type):
        try:
            converted = action.type(str(value))
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise UsageError(f"{where}: {exc}.") from None
    if isinstance(converted, Path) and not converted.is_absolute():
        converted = source.parent / converted  # relative to the file, as a reader of the file expects
    if action.choices is not None and converted not in action.choices:
        raise UsageError(f"{where} must be one of {', '.join(map(str, action.choices))}, not {value!r}.")
    return converted


def parse_with_config(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse `argv`; for `run`, with the config file's values as defaults (flags > env > file > defaults)."""
    args = parser.parse_args(argv)
    if args.command != "run":
        return args
    settings, source = load_settings(args.config)
    if not settings or source is None:
        return args
    lists = apply_to_parser(_subparser(parser, "run"), settings, source)
    args = parser.parse_args(argv)
    for dest, values in lists.items():
        if not getattr(args, dest):  # no such flag given: the file's list
            setattr(args, dest, values)
    return args


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub: argparse.ArgumentParser = action.choices[name]
            return sub
    raise LookupError(name)


def _is_numeric(action: argparse.Action) -> bool:
    """Whether an option takes a number: its default is one, or its converter turns digits into one."""
    if isinstance(action.default, int | float) and not isinstance(action.default, bool):
        return True
    if not callable(action.type) or action.type is str:
        return False
    for probe in ("1", "100"):
        try:
            value = action.type(probe)
        except (argparse.ArgumentTypeError, ValueError, TypeError):
            continue
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False
