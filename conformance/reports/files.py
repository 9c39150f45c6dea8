"""Report files are created new, never written through what a directory already holds.

A report directory may be a shared path (`/tmp/reports`) or an unpacked bundle: whoever put a
symbolic link there would have the suite write through it into their victim's folder. So:

- ``refuse_unsafe_dir`` (before anything is sent): a report directory, or its ``reproduce/``,
  holding a symbolic link or an entry of another user is refused with one sentence (exit 2);
- ``replacing`` (when writing): every file is written to a temporary file created there with
  O_CREAT|O_EXCL (``tempfile.mkstemp``: never an existing path, never a link followed) and
  renamed over its name (rename(2) replaces a link itself, not what it points to).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from conformance.errors import UsageError

# The one subdirectory the suite writes into (reports.reproducers.DIRECTORY).
_SUBDIRECTORIES = ("reproduce",)


def refuse_unsafe_dir(report_dir: Path) -> None:
    """Raises UsageError when `report_dir` (an existing directory) is another user's, or it or
    its `reproduce/` holds a symbolic link or an entry another user owns. Nothing is followed."""
    uid = os.geteuid()
    if report_dir.is_symlink():
        raise UsageError(f"--report-dir {report_dir} is a symbolic link: the suite writes its reports only into "
                         "a directory itself, so name the real directory (or another one).")
    _own(report_dir, report_dir, uid)
    for directory in (report_dir, *(report_dir / name for name in _SUBDIRECTORIES)):
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            continue
        except NotADirectoryError:
            raise UsageError(f"--report-dir {report_dir} holds {directory.name}, which is not a directory: "
                             "remove it or choose another --report-dir.") from None
        except OSError as exc:
            raise UsageError(f"--report-dir {report_dir} cannot be read: {exc.strerror or exc}.") from None
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                raise UsageError(f"--report-dir {report_dir} holds {path.relative_to(report_dir)}, a symbolic link: "
                                 "the suite never writes through links, so remove it or choose another --report-dir.")
            _own(path, report_dir, uid)


def _own(path: Path, report_dir: Path, uid: int) -> None:
    try:
        owner = path.lstat().st_uid
    except OSError as exc:
        raise UsageError(f"--report-dir {report_dir} cannot be read: {exc.strerror or exc}.") from None
    if owner != uid:
        where = "is" if path == report_dir else f"holds {path.relative_to(report_dir)}, which is"
        raise UsageError(f"--report-dir {report_dir} {where} owned by another user (uid {owner}): "
                         "choose a directory of your own.")


def real_directory(path: Path) -> Path:
    """`path` as a directory of its own, created if missing; UsageError if it is a link or a file."""
    with contextlib.suppress(FileExistsError):
        path.mkdir()
    mode = path.lstat().st_mode
    if not stat.S_ISDIR(mode):
        raise UsageError(f"{path} is not a directory of the report (a link or a file was put there): "
                         "remove it or choose another --report-dir.")
    return path


@contextlib.contextmanager
def replacing(path: Path, mode: int = 0o644) -> Iterator[Path]:
    """A new temporary file beside `path` to write (by name); renamed over `path` when the
    block ends without an exception, removed otherwise."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        os.fchmod(fd, mode)
        os.close(fd)
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_new(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """`data` (text as UTF-8, a lone surrogate as a backslash escape) as the new file `path`."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "backslashreplace")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # the descriptor mkstemp opened: no name looked up again
            os.fchmod(handle.fileno(), mode)
            handle.write(raw)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
