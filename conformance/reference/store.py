"""SQLite storage for the reference server, with keyset pagination.

The list order is (created DESC, id DESC): ``id`` breaks ties inside one second, so
the order is total. Every page is one index range scan from the cursor's position
((created, id) row-value comparison), never an OFFSET, so a page costs the same at
a thousand and at a million sessions; the (status, created, id) index does the same
for filtered pages.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from conformance.reference.dataset import DATASET_VERSION, iter_sessions

_BATCH = 20_000

# PRAGMA application_id of every database file this module builds ("CCON"): how a file at
# --db is told apart from another application's SQLite database, which is never touched.
APPLICATION_ID = 0x43434F4E

# Called after each batch with (sessions written so far, sessions in all).
BuildProgress = Callable[[int, int], None]

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);
"""
# Built after the bulk insert: one sort per index is much faster than keeping them
# up to date row by row.
_INDEXES = """
CREATE INDEX sessions_order ON sessions (created, id);
CREATE INDEX sessions_status_order ON sessions (status, created, id);
"""


class StoreFileError(Exception):
    """The database file asked for cannot be used or must not be replaced; str() is one sentence."""


class UnknownCursorError(LookupError):
    """A pagination cursor names no item in the store."""

    def __init__(self, cursor: str, noun: str = "checkout.session") -> None:
        super().__init__(f"No such {noun}: {cursor!r}")
        self.cursor = cursor


class Page(NamedTuple):
    """A page of sessions; unpacks as ``items, has_more``."""

    items: list[dict[str, Any]]
    has_more: bool


class RawPage(NamedTuple):
    """A page as stored: ids and JSON texts (compact, ``ensure_ascii=False``), in list order."""

    ids: list[str]
    bodies: list[str]
    has_more: bool


def _meta_for(count: int, seed: int, livemode: bool) -> dict[str, str]:
    return {"count": str(count), "seed": str(seed), "livemode": str(livemode),
            "dataset_version": str(DATASET_VERSION)}


def _meta_for_list(sessions: Sequence[dict[str, Any]]) -> dict[str, str]:
    """A given list of sessions is identified by its content, so a cached file is rebuilt when it changes."""
    digest = hashlib.sha256(json.dumps(list(sessions), sort_keys=True).encode()).hexdigest()
    return {"count": str(len(sessions)), "sessions_sha256": digest}


# SQLite virtual-machine steps between two chances for Python to act on a signal: tens of
# milliseconds of work (63 looks in a 3 s CREATE INDEX over 300,000 rows, measured on a loaded
# 2-core machine), so the looks cost nothing and Ctrl-C is seen within a fraction of a second.
_STEPS_BETWEEN_LOOKS = 100_000


@contextlib.contextmanager
def interruptible(conn: sqlite3.Connection) -> Iterator[None]:
    """Statements on `conn` inside the block stop at once on Ctrl-C (or any signal handler that
    raises, such as serve's SIGTERM), raising KeyboardInterrupt.

    Python runs a signal's handler between two bytecodes, never inside one C call: one
    CREATE INDEX over a million rows (8 s measured on a loaded 2-core machine) or one batch insert
    would hold Ctrl-C to its end. SQLite's progress handler calls back into Python every
    _STEPS_BETWEEN_LOOKS VM steps, where the signal's handler runs; the KeyboardInterrupt it raises there aborts the
    statement, but the sqlite3 module drops a callback's exception (the statement fails with
    OperationalError "interrupted"), so it is raised again here. Nothing else interrupts `conn`."""
    conn.set_progress_handler(_let_signals_in, _STEPS_BETWEEN_LOOKS)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if str(exc) == "interrupted":
            raise KeyboardInterrupt from None
        raise
    finally:
        conn.set_progress_handler(None, 0)


def _let_signals_in() -> int:
    return 0  # go on: running this Python code is what lets a pending signal's handler run


def _fill(conn: sqlite3.Connection, sessions: Iterable[dict[str, Any]],
          meta: dict[str, str], progress: BuildProgress | None = None) -> None:
    with interruptible(conn):
        _fill_rows(conn, sessions, meta, progress)


def _fill_rows(conn: sqlite3.Connection, sessions: Iterable[dict[str, Any]],
               meta: dict[str, str], progress: BuildProgress | None = None) -> None:
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.executescript(_SCHEMA)
    total, written = int(meta["count"]), 0
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    batch: list[tuple[str, int, str, str]] = []
    insert = "INSERT INTO sessions (id, created, status, body) VALUES (?, ?, ?, ?)"
    for session in sessions:
        batch.append((session["id"], session["created"], session["status"], dumps(session)))
        if len(batch) >= _BATCH:
            conn.executemany(insert, batch)
            written += len(batch)
            batch.clear()
            if progress is not None:
                progress(written, total)
    conn.executemany(insert, batch)
    if progress is not None:
        progress(written + len(batch), total)
    conn.executescript(_INDEXES)
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
    conn.commit()


def _stored_meta(path: str) -> dict[str, str] | None:
    """The meta table of the database at ``path`` if this module built it, else None.

    Ours: PRAGMA application_id is APPLICATION_ID, or (files built before the id was set)
    it is 0 and the file holds exactly our two tables with a ``count`` in meta.
    """
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id not in (0, APPLICATION_ID) or tables != {"meta", "sessions"}:
            return None
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return meta if app_id == APPLICATION_ID or "count" in meta else None
    except sqlite3.Error:  # not a database at all (a text file), or not readable
        return None
    finally:
        conn.close()


def _describe(meta: dict[str, str]) -> str:
    sessions = f"{meta.get('count', '?')} session{'' if meta.get('count') == '1' else 's'}"
    if "sessions_sha256" in meta:
        return f"{sessions} of a fixed dataset"
    return (f"{sessions} of seed {meta.get('seed', '?')}"
            + (" in livemode (an sk_live_ key)" if meta.get("livemode") == "True" else "")
            + ("" if meta.get("dataset_version") == str(DATASET_VERSION) else " (an older generator)"))


def check_db_path(path: str, meta: dict[str, str], replace: bool) -> bool:
    """Whether the database at ``path`` can be reused as is (True) or must be built (False).

    Raises StoreFileError when ``path`` must not be written: a directory, a missing or
    read-only parent directory, a file that is not one of our databases (a text file,
    another application's SQLite database), or one of ours built from other parameters
    when ``replace`` is False. Checked before anything is generated.
    """
    where = Path(path)
    if where.is_dir():
        raise StoreFileError(f"--db {path} is a directory: name a file, e.g. {where / 'sessions.db'}.")
    parent = where.parent
    if not parent.is_dir():
        raise StoreFileError(f"--db {path}: the directory {parent} does not exist.")
    if where.exists():
        stored = _stored_meta(path)
        if stored is None:
            raise StoreFileError(f"--db {path} is not a checkout-conformance database: refusing to overwrite it "
                                 "(name a new file, or delete this one yourself).")
        if stored == meta:
            return True
        if not replace:
            raise StoreFileError(f"--db {path} holds {_describe(stored)}, not the {_describe(meta)} asked for: "
                                 "pass --rebuild to replace it, or name another file.")
    if not os.access(parent, os.W_OK):
        raise StoreFileError(f"--db {path}: the directory {parent} is not writable.")
    return False


def _build_file(path: str, sessions: Iterable[dict[str, Any]], meta: dict[str, str],
                progress: BuildProgress | None = None) -> None:
    """Build into a private temporary file beside ``path``, then rename: concurrent builders
    (test workers) never see, or leave behind, a half-written database, and an interrupted
    build (Ctrl-C, a full disk) leaves ``path`` as it was. Raises StoreFileError when the
    directory refuses the file."""
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    with contextlib.suppress(FileNotFoundError):
        os.remove(tmp)
    conn: sqlite3.Connection | None = None
    # One block from the file's creation to its rename: a Ctrl-C landing anywhere in between
    # (even right after connect() has created the file) removes it.
    try:
        try:
            conn = sqlite3.connect(tmp)
        except sqlite3.Error as exc:
            raise StoreFileError(f"--db {path} cannot be written ({exc}).") from None
        # The temporary file is thrown away on failure, so durability buys nothing.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        _fill(conn, sessions, meta, progress)
        conn.close()
        os.replace(tmp, path)
    except BaseException:
        if conn is not None:
            conn.close()
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


Match = tuple[tuple[str, str], ...]


class SessionStore:
    """Page queries over a populated database; safe to share across threads.

    One connection behind a lock: a page query takes well under a millisecond, and an
    in-memory database cannot be shared between per-thread connections anyway. The same
    lock serialises the writes of a live collection (:meth:`insert`, :meth:`advance`), so a
    page is always read from one state of the collection.

    The same code stores every list resource the reference serves (issue 24): ``table`` holds
    ``id``, ``created``, one column per filterable field (``columns``, each an item field of the
    same name) and the item's JSON ``body``. The checkout sessions' store is ``sessions`` with
    ``status``. A page's ``status`` argument filters on the ``partition`` column (the enum
    filter), ``match`` on any (column, value) pairs, compared exactly (SQLite's ``=`` on TEXT
    is case-sensitive). ``noun`` names an item in error texts.
    """

    def __init__(self, conn: sqlite3.Connection, table: str = "sessions", columns: Sequence[str] = ("status",),
                 noun: str = "checkout.session", partition: str | None = "status") -> None:
        if partition is not None and partition not in columns:
            raise ValueError(f"the partition column {partition!r} is not one of {tuple(columns)}")
        self.partition = partition
        for name in (table, *columns):
            if not name.isidentifier():  # names go into SQL text: identifiers only
                raise ValueError(f"not a column or table name: {name!r}")
        self._conn = conn
        self._lock = threading.Lock()
        self.table = table
        self.columns = tuple(columns)
        self.noun = noun

    def _where(self, status: str | None, match: Match) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if status is not None and self.partition is None:
            raise ValueError(f"{self.table} has no partition column to filter {status!r} on")
        for column, value in (((self.partition, status),) if status is not None else ()) + tuple(match):
            if column not in self.columns:
                raise ValueError(f"{self.table} has no filter column {column!r}")
            where.append(f"{column} = ?")
            args.append(value)
        return where, args

    def count(self, status: str | None = None, match: Match = ()) -> int:
        where, args = self._where(status, match)
        sql = f"SELECT count(*) FROM {self.table}" + (f" WHERE {' AND '.join(where)}" if where else "")
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return int(row[0])

    def all_items(self) -> list[dict[str, Any]]:
        """The whole collection in list order, read in one query (one state of a live collection)."""
        with self._lock:
            rows = self._conn.execute(f"SELECT body FROM {self.table} ORDER BY created DESC, id DESC").fetchall()
        return [json.loads(r[0]) for r in rows]

    def newest_created(self) -> int | None:
        with self._lock:
            row = self._conn.execute(f"SELECT max(created) FROM {self.table}").fetchone()
        return None if row[0] is None else int(row[0])

    def insert(self, session: dict[str, Any]) -> None:
        """Add one item (a live collection; the store must have been opened writable).

        Raises sqlite3.IntegrityError if its id exists already.
        """
        body = json.dumps(session, separators=(",", ":"), ensure_ascii=False)
        names = ", ".join(("id", "created", *self.columns, "body"))
        marks = ", ".join("?" * (len(self.columns) + 3))
        with self._lock:
            self._conn.execute(f"INSERT INTO {self.table} ({names}) VALUES ({marks})",
                               (session["id"], session["created"], *(session[c] for c in self.columns), body))
            self._conn.commit()

    def advance(self, status: str, change: Any, pick: float) -> str | None:
        """Move one session of ``status`` forward: ``change(body) -> body`` gives its new body.

        ``pick`` in [0, 1) chooses which of them (by list position). Returns the id moved,
        or None when no session has ``status``. ``id`` and ``created`` never change (CONTRACT.md,
        "A live collection"); the caller's ``change`` must keep them.
        """
        with self._lock:
            count = self._conn.execute("SELECT count(*) FROM sessions WHERE status = ?", (status,)).fetchone()[0]
            if not count:
                return None
            row = self._conn.execute(
                "SELECT id, body FROM sessions WHERE status = ? ORDER BY created DESC, id DESC LIMIT 1 OFFSET ?",
                (status, min(int(pick * count), count - 1))).fetchone()
            body = change(json.loads(row[1]))
            if body["id"] != row[0]:
                raise ValueError("a status change must keep the session's id")
            self._conn.execute("UPDATE sessions SET status = ?, body = ? WHERE id = ?",
                               (body["status"], json.dumps(body, separators=(",", ":"), ensure_ascii=False),
                                row[0]))
            self._conn.commit()
            return str(row[0])

    def get(self, session_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT body FROM {self.table} WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def page(self, limit: int, starting_after: str | None = None,
             ending_before: str | None = None, status: str | None = None, match: Match = ()) -> Page:
        """One page in (created DESC, id DESC) order; see :meth:`page_raw`."""
        raw = self.page_raw(limit, starting_after, ending_before, status, match)
        return Page([json.loads(b) for b in raw.bodies], raw.has_more)

    def page_raw(self, limit: int, starting_after: str | None = None,
                 ending_before: str | None = None, status: str | None = None, match: Match = ()) -> RawPage:
        """One page in (created DESC, id DESC) order, as stored JSON texts.

        ``starting_after=X``: the ``limit`` items right after X; ``ending_before=X``:
        the ``limit`` items right before X, still in forward order. ``has_more`` says
        whether more items exist in the direction of travel. A cursor is a position:
        it works even when its own status does not match ``status`` (or ``match``).

        Raises UnknownCursorError if a cursor names no item.
        """
        if limit < 0:
            raise ValueError("limit must be >= 0")
        if starting_after is not None and ending_before is not None:
            raise ValueError("starting_after and ending_before are mutually exclusive")
        cursor = starting_after if starting_after is not None else ending_before
        backward = ending_before is not None
        where, args = self._where(status, match)
        with self._lock:
            if cursor is not None:
                row = self._conn.execute(
                    f"SELECT created FROM {self.table} WHERE id = ?", (cursor,)).fetchone()
                if row is None:
                    raise UnknownCursorError(cursor, self.noun)
                where.append("(created, id) > (?, ?)" if backward else "(created, id) < (?, ?)")
                args += [row[0], cursor]
            direction = "ASC" if backward else "DESC"
            sql = (
                f"SELECT id, body FROM {self.table}"
                + (f" WHERE {' AND '.join(where)}" if where else "")
                + f" ORDER BY created {direction}, id {direction} LIMIT ?"
            )
            # One extra row answers has_more without a second query.
            rows = self._conn.execute(sql, [*args, limit + 1]).fetchall()
        has_more = len(rows) > limit
        rows = rows[:limit]
        if backward:
            rows.reverse()
        return RawPage([r[0] for r in rows], [r[1] for r in rows], has_more)

    def explain(self, status: str | None = None, cursor: bool = True) -> list[str]:
        """The query plan of a page query (for tests proving no full scan or sort)."""
        sql = "EXPLAIN QUERY PLAN SELECT body FROM sessions WHERE 1"
        args: list[Any] = []
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        if cursor:
            sql += " AND (created, id) < (?, ?)"
            args += [0, ""]
        sql += " ORDER BY created DESC, id DESC LIMIT 11"
        with self._lock:
            return [str(r[-1]) for r in self._conn.execute(sql, args).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_store(count: int, seed: int, livemode: bool = False,
               path: str | None = None, *,
               sessions_list: Sequence[dict[str, Any]] | None = None,
               replace: bool = True, progress: BuildProgress | None = None,
               writable: bool = False) -> SessionStore:
    """A store holding the ``count`` sessions of ``seed``, or exactly ``sessions_list``.

    ``sessions_list`` (a fixed dataset, any order) replaces the generator; ``count``,
    ``seed`` and ``livemode`` are then ignored. ``path=None`` builds an in-memory
    database. With a file path, an existing file built from the same parameters (or
    the same list) is reused as is; one of ours built otherwise is rebuilt when
    ``replace`` (else StoreFileError); anything else at ``path`` is never touched
    (StoreFileError, see check_db_path). ``progress`` hears of a build's progress.
    ``writable`` (a live collection, ``--churn``) copies a file database into memory,
    so the file itself is never changed and stays reusable.
    """
    # Lazy: a reused file never runs the generator.
    sessions: Iterable[dict[str, Any]]
    if sessions_list is not None:
        meta, sessions = _meta_for_list(sessions_list), sessions_list
    else:
        meta, sessions = _meta_for(count, seed, livemode), iter_sessions(count, seed, livemode)
    if path is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        _fill(conn, sessions, meta, progress)
    else:
        if not check_db_path(path, meta, replace):
            _build_file(path, sessions, meta, progress)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        if writable:
            memory = sqlite3.connect(":memory:", check_same_thread=False)
            conn.backup(memory)
            conn.close()
            conn = memory
    return SessionStore(conn)


def open_list_store(items: Iterable[dict[str, Any]], table: str, columns: Sequence[str], noun: str,
                    partition: str | None) -> SessionStore:
    """An in-memory store of ``items`` (any order) in ``table``, filterable on ``columns``.

    The schema mirrors the sessions table's: ``id`` primary key, ``created``, one TEXT column per
    filter field, the compact JSON ``body``, an index on (created, id) for the list order and
    one on (column, created, id) per filter, so a filtered page is one index range scan too.
    """
    store = SessionStore(sqlite3.connect(":memory:", check_same_thread=False), table, columns, noun, partition)
    conn = store._conn
    names = ", ".join(f"{c} TEXT NOT NULL" for c in columns)
    conn.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY, created INTEGER NOT NULL, "
                 f"{names + ', ' if names else ''}body TEXT NOT NULL)")
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    marks = ", ".join("?" * (len(columns) + 3))
    conn.executemany(f"INSERT INTO {table} (id, created, {''.join(c + ', ' for c in columns)}body) VALUES ({marks})",
                     [(i["id"], i["created"], *(i[c] for c in columns), dumps(i)) for i in items])
    conn.execute(f"CREATE INDEX {table}_order ON {table} (created, id)")
    for column in columns:
        conn.execute(f"CREATE INDEX {table}_{column}_order ON {table} ({column}, created, id)")
    conn.commit()
    return store
