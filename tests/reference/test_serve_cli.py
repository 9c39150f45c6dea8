"""`checkout-conformance serve` as a new user runs it: --db never clobbers, bad values are
one sentence and exit 2, a large build shows progress and stops on Ctrl-C."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reference.build_progress import SHOWN_FROM, build_progress
from conformance.reference.config import SUPPORTED_API_VERSIONS
from conformance.reference.store import open_store


def _serve(*args: str) -> int:
    try:
        return main(["serve", "--port", "0", *args])
    except SystemExit as exc:
        return int(exc.code or 0)


def _sentence(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return err


def _no_temp_files(directory: Path) -> None:
    assert [p.name for p in directory.iterdir() if ".tmp-" in p.name] == []


# -- 2. --db never overwrites what is not ours, nor ours built otherwise ---------------------------


def test_a_text_file_is_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    assert _serve("--db", str(notes)) == 2
    assert _sentence(capsys) == (
        f"checkout-conformance: --db {notes} is not a checkout-conformance database: refusing to overwrite it "
        "(name a new file, or delete this one yourself).")
    assert notes.read_text() == "my notes\n"
    _no_temp_files(tmp_path)


def test_another_applications_database_is_never_touched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app_db = tmp_path / "app.sqlite3"
    with sqlite3.connect(app_db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    before = app_db.read_bytes()
    assert _serve("--db", str(app_db), "--rebuild") == 2  # not even when asked to rebuild
    assert "is not a checkout-conformance database: refusing to overwrite it" in _sentence(capsys)
    assert app_db.read_bytes() == before


def test_ours_built_with_other_parameters_needs_rebuild(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "sessions.db"
    open_store(300, 1, path=str(db)).close()
    before = db.read_bytes()
    assert _serve("--db", str(db), "--sessions", "57") == 2
    assert _sentence(capsys) == (
        f"checkout-conformance: --db {db} holds 300 sessions of seed 1, not the 57 sessions of seed 0 asked for: "
        "pass --rebuild to replace it, or name another file.")
    assert db.read_bytes() == before
    assert _serve("--db", str(db), "--dataset", "canonical") == 2
    assert "not the 240 sessions of a fixed dataset asked for" in _sentence(capsys)
    assert _serve("--db", str(db), "--sessions", "300", "--seed", "1", "--api-key", "sk_live_x") == 2
    assert "not the 300 sessions of seed 1 in livemode (an sk_live_ key) asked for" in _sentence(capsys)


def test_rebuild_replaces_ours_and_the_same_parameters_reuse_it(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    open_store(300, 1, path=str(db)).close()
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0", "--db", str(db),
                             "--sessions", "40", "--seed", "1", "--rebuild"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("base_url: http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
    assert open_store(40, 1, path=str(db), replace=False).count() == 40  # reused as is, no --rebuild needed
    _no_temp_files(tmp_path)


# -- 9. bad --db paths and ports are usage errors -------------------------------------------------


@pytest.mark.parametrize(
    ("where", "sentence"),
    [
        pytest.param("/nonexistent/x.db", "--db /nonexistent/x.db: the directory /nonexistent does not exist.",
                     id="missing-directory"),
        pytest.param("{tmp}", "--db {tmp} is a directory: name a file, e.g. {tmp}/sessions.db.", id="a-directory"),
        # /proc refuses new files even to root: a read-only place on any Linux machine.
        pytest.param("/proc/self/x.db", "--db /proc/self/x.db: the directory /proc/self is not writable.",
                     id="read-only"),
    ],
)
def test_a_db_path_that_cannot_be_used_is_one_sentence(
    where: str, sentence: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _serve("--db", where.format(tmp=tmp_path)) == 2
    assert _sentence(capsys).startswith("checkout-conformance: " + sentence.format(tmp=tmp_path))
    _no_temp_files(tmp_path)


@pytest.mark.parametrize("port", ["80000", "-1", "http"])
def test_a_port_out_of_range_is_refused(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])
    assert exited.value.code == 2
    assert _sentence(capsys).startswith("checkout-conformance: --port: expected a port")


def test_negative_sessions_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--sessions", "-5"])
    assert exited.value.code == 2
    assert _sentence(capsys) == ("checkout-conformance: --sessions: expected 0 or more, got '-5'. "
                                 "See `checkout-conformance serve --help`.")


# -- 10. serve says which X-API-Version values it answers -----------------------------------------


def test_serve_prints_its_supported_api_versions() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0", "--sessions", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
    assert lines[1].startswith("api_key: sk_test_")
    assert lines[2] == f"api_versions: {' '.join(SUPPORTED_API_VERSIONS)}"


# -- 5. a large build shows progress and stops on Ctrl-C, leaving nothing behind ------------------


def test_build_progress_off_a_terminal_is_one_line_per_tenth() -> None:
    out = io.StringIO()
    with build_progress(SHOWN_FROM * 2, out) as report:
        assert report is not None
        for done in range(0, SHOWN_FROM * 2 + 1, 5_000):
            report(done, SHOWN_FROM * 2)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"building sessions: {SHOWN_FROM // 5}/{SHOWN_FROM * 2} (10%)"
    assert lines[-1] == f"building sessions: {SHOWN_FROM * 2}/{SHOWN_FROM * 2} (100%)"
    assert len(lines) == 10


def test_build_progress_on_a_terminal_is_a_bar() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    with build_progress(SHOWN_FROM, out) as report:
        assert report is not None
        report(SHOWN_FROM // 2, SHOWN_FROM)
    assert "building sessions" in out.getvalue()
    assert f"{SHOWN_FROM // 2}/{SHOWN_FROM}" in out.getvalue()


def test_a_small_build_shows_no_progress() -> None:
    with build_progress(SHOWN_FROM - 1, io.StringIO()) as report:
        assert report is None


def test_open_store_reports_every_batch_up_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    open_store(45_000, 0, progress=lambda done, total: seen.append((done, total))).close()
    assert seen == [(20_000, 45_000), (40_000, 45_000), (45_000, 45_000)]


# A parent that ignores SIGINT hands that on to what it starts (`serve &` in a script does so),
# and Python keeps it: the build must still stop on Ctrl-C (or `kill -INT`), serve owns SIGINT.
_SIGINT_IGNORED = ["-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                         "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_during_a_large_build_stops_and_leaves_no_file(tmp_path: Path, signum: int) -> None:
    _stop_a_large_build(tmp_path, signum, [])


def test_ctrl_c_stops_a_large_build_started_with_sigint_ignored(tmp_path: Path) -> None:
    _stop_a_large_build(tmp_path, signal.SIGINT, _SIGINT_IGNORED)


def _stop_a_large_build(tmp_path: Path, signum: int, python: list[str]) -> None:
    db = tmp_path / "big.db"
    proc = subprocess.Popen([sys.executable, *python, "-m", "conformance", "serve", "--port", "0", "--db", str(db),
                             "--sessions", "1000000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not any(".tmp-" in p.name for p in tmp_path.iterdir()):
            assert time.monotonic() < deadline, "the build never started"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "checkout-conformance: interrupted."
    assert "Traceback" not in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []
    assert not os.path.exists(db)


def test_a_long_statement_of_the_build_stops_on_ctrl_c() -> None:
    # Python runs a signal's handler between bytecodes only, never inside one C call: an index
    # over a million rows is seconds to tens of seconds of SQLite alone. `interruptible` lets it
    # stop. This statement never ends by itself (a count without end): only Ctrl-C ends it. It
    # says it has started through os.write, C called from C: no Python line runs after it, so the
    # signal is sure to land in SQLite's own code.
    code = ("import os, signal, sqlite3, sys\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from conformance.reference.store import interruptible\n"
            "conn = sqlite3.connect(':memory:')\n"
            "conn.create_function('write', 2, os.write)\n"
            "try:\n"
            "    with interruptible(conn):\n"
            "        conn.execute(\"WITH RECURSIVE n(x) AS (SELECT write(1, x'737461727465640a') \"\n"
            "                     \"UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n\").fetchone()\n"
            "except KeyboardInterrupt:\n"
            "    sys.exit(130)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "started\n"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130, err


@pytest.mark.parametrize("where", ["connect", "replace"])
def test_ctrl_c_at_either_end_of_a_build_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # The test above sends SIGINT as soon as the temporary file appears: right after connect()
    # has created it, before any statement runs. A KeyboardInterrupt there, or one just before
    # the finished file is renamed into place, must remove it as one mid-build does.
    real_connect = sqlite3.connect

    def connect_then_ctrl_c(*args: str) -> sqlite3.Connection:
        real_connect(*args)
        raise KeyboardInterrupt

    def ctrl_c(*_args: str) -> None:
        raise KeyboardInterrupt

    if where == "connect":
        monkeypatch.setattr(sqlite3, "connect", connect_then_ctrl_c)
    else:
        monkeypatch.setattr(os, "replace", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        open_store(100, 0, path=str(tmp_path / "small.db"))
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
