"""The generated requests shipped for the default seed are exactly what drawing gives now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import generation_cache
from conformance.checks import generated, generation, predrawn
from conformance.generation_cache import CACHE_ENV, cache_key, library_versions
from conformance.profiles import PROFILES
from conformance.run.runner import RunOptions, run
from conformance.selftest.redraw_predrawn import as_text
from conformance.spec import default_spec

REDRAW = ("the shipped cases are stale: redraw them with `python -m conformance.selftest.redraw_predrawn` "
          "and commit the file")


def _count_draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """generate_requests still draws, and each draw's seed is appended to the list returned."""
    drawn: list[int] = []
    real = generation.generate_requests

    def counting(spec: object, seed: int, examples: int) -> list[generation.GeneratedRequest]:
        drawn.append(seed)
        return real(spec, seed, examples)  # type: ignore[arg-type]

    monkeypatch.setattr(generation, "generate_requests", counting)
    return drawn


def _shipped() -> dict[str, object]:
    path = Path(predrawn.__file__).with_name(predrawn.PREDRAWN_FILE)
    content: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return content


def test_the_default_seed_of_the_quick_and_standard_profiles_is_shipped() -> None:
    entries = _shipped()["entries"]
    assert isinstance(entries, list)
    assert {(e["seed"], e["examples"]) for e in entries} == {
        (0, PROFILES["quick"].generated_examples), (0, PROFILES["standard"].generated_examples)}


def test_the_shipped_cases_match_a_fresh_draw_or_the_run_says_it_draws_afresh() -> None:
    spec = default_spec()
    entries = _shipped()["entries"]
    assert isinstance(entries, list)
    for entry in entries:
        note = predrawn.drawn_afresh_note(spec.sha256, entry["seed"], entry["examples"])
        if entry["versions"] == library_versions():
            # The locked environment (requirements/pins.txt holds the shipped versions): the key holds the
            # spec digest and the versions, and the rows are exactly what drawing gives now.
            assert entry["key"] == cache_key(spec.sha256, entry["seed"], entry["examples"]), REDRAW
            assert entry["rows"] == generation.rows_of(spec, entry["seed"], entry["examples"]), REDRAW
            assert note is None
        else:
            # Any other allowed version (tox -e latest): the run draws afresh and says so, never fails.
            assert note is not None and note.startswith("generated requests: drawn afresh"), note
            assert generation.cached_requests(spec, entry["seed"], entry["examples"])
    # The file on disk is what the module writes (so a redraw is its only author).
    assert Path(predrawn.__file__).with_name(predrawn.PREDRAWN_FILE).read_text(encoding="utf-8") == \
        as_text(_shipped())


def test_other_library_versions_draw_afresh_in_one_progress_line_and_the_run_still_judges(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped_versions = _shipped()["entries"][0]["versions"]  # type: ignore[index]
    newer = {**shipped_versions, "hypothesis": "6.999.1"}
    monkeypatch.setattr(generation_cache, "library_versions", lambda: dict(newer))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))  # nothing cached under the new key
    monkeypatch.setattr(generated, "_DRAWN", {})  # nor drawn earlier in this process
    drawn = _count_draws(monkeypatch)
    lines: list[str] = []
    result = run(RunOptions(base_url=None, api_key=None, profile=PROFILES["quick"], only=("schema",)), lines.append)
    notes = [line for line in lines if line.startswith("generated requests:")]
    assert notes == [f"generated requests: drawn afresh (the shipped cases were drawn with hypothesis "
                     f"{shipped_versions['hypothesis']}, schemathesis {shipped_versions['schemathesis']}; this "
                     f"environment has hypothesis 6.999.1, schemathesis {shipped_versions['schemathesis']})"]
    assert drawn == [0]  # drawn once, not taken from the shipped file
    assert result.verdict == "conformant" and result.aborted is None


def test_the_shipped_versions_say_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped_versions = _shipped()["entries"][0]["versions"]  # type: ignore[index]
    monkeypatch.setattr(generation_cache, "library_versions", lambda: dict(shipped_versions))
    lines: list[str] = []
    run(RunOptions(base_url=None, api_key=None, profile=PROFILES["quick"], only=("schema",)), lines.append)
    assert predrawn.drawn_afresh_note(default_spec().sha256, 0, PROFILES["quick"].generated_examples) is None
    assert not [line for line in lines if line.startswith("generated requests:")]


def test_a_first_run_with_the_default_seed_draws_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))  # a new machine: nothing cached

    def must_not_draw(*_args: object) -> list[object]:
        raise AssertionError("drew cases although they are shipped")

    monkeypatch.setattr(generation, "generate_requests", must_not_draw)
    requests_ = generation.cached_requests(default_spec(), 0, PROFILES["standard"].generated_examples)
    assert len(requests_) == len(_shipped()["entries"][1]["rows"])  # type: ignore[index]
    assert not list(tmp_path.iterdir())


def test_another_seed_is_drawn_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    drawn = _count_draws(monkeypatch)
    generation.cached_requests(default_spec(), 7, 5)
    assert drawn == [7]
