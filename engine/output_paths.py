"""Where a render or a timeline may be written: refusals made before any work.

Why a module of its own: every writer (the local renderer, the daemon client's
copy, the OTIO commands) must refuse the same targets with the same words, and
the check must be importable without numpy or the sound models so a refusal
costs nothing.

Two rules beyond "the directory exists and is writable":

- An existing target must be a regular file. Writers publish by renaming a
  finished temporary file over the target; over a device node, a FIFO or a
  socket that would silently replace the node (as root, ``-o /dev/null`` would
  destroy the host's /dev/null). A symlink is judged by what it points to.
- A command never writes over one of its own inputs (``otio fill X -o X``),
  judged by file identity, so hard links and symlinks count as the same file.
"""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

from .errors import InvalidRequest

def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it; done once at import, before any threads
    os.umask(mask)
    return mask


#: mode for finished renders: mkstemp makes 0600, but a render is an ordinary file
FILE_MODE = 0o666 & ~_read_umask()

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def refuse_non_regular(path: Path, field: str = "output") -> None:
    """Raise InvalidRequest when ``path`` exists and is anything but a regular file.

    A missing target, or a dangling symlink (the rename replaces the link), is fine.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidRequest(field, f"cannot check {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InvalidRequest(field, f"{path} is a directory")
    if not stat.S_ISREG(st.st_mode):
        what = f"links to {os.path.realpath(path)}, {_kind(st.st_mode)}" if os.path.islink(path) \
            else f"is {_kind(st.st_mode)}"
        raise InvalidRequest(field, f"{path} {what}; SceneFill writes only regular files and will not replace it")


def refuse_read_only(path: str | os.PathLike, field: str = "output") -> None:
    """Raise InvalidRequest when ``path`` is an existing file the user protected (no write bit, or
    not writable by us). Publishing renames over the target, which the file's own mode does not
    stop (and root ignores it): an approved take or a locked project would be replaced silently."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISREG(st.st_mode) and (not st.st_mode & 0o222 or not os.access(path, os.W_OK)):
        raise InvalidRequest(field, f"{path} is read-only; SceneFill will not replace a protected file "
                                    "(make it writable, or write to another name)")


def not_a_regular_input(path: str | os.PathLike) -> str | None:
    """Why an existing input cannot be read as a file (a FIFO, a device, a socket), else None.
    Opening a FIFO for reading waits for a writer for ever; a device never ends."""
    try:
        st = os.stat(path)
    except OSError:
        return None                 # missing or unreadable: the reader's own error says so
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    return f"{path} is not a regular file ({_kind(st.st_mode)})"


def check_output_path(path: Path, field: str = "output") -> Path:
    """Refuse an output path that cannot be written, before any work; returns its directory."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidRequest(field, f"directory does not exist: {directory}")
    refuse_non_regular(path, field)
    refuse_read_only(path, field)
    if not os.access(directory, os.W_OK):
        raise InvalidRequest(field, f"cannot write to {directory}")
    return directory


def publish(tmp: Path, dest: Path, field: str = "output") -> None:
    """Rename a finished temporary file over ``dest``, checking ``dest`` once more just
    before: it may have become a device node or a FIFO while the work ran."""
    refuse_non_regular(dest, field)
    os.replace(tmp, dest)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` name one file: same path once resolved, or the same
    inode (a hard link, a symlink, a bind mount)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): only the resolved paths can tell
        try:
            return Path(a).resolve() == Path(b).resolve()
        except (OSError, RuntimeError):
            return False


def refuse_overwriting_inputs(output: str | os.PathLike, inputs: dict[str, str | os.PathLike | None],
                              field: str = "output") -> None:
    """Refuse an output that is one of the command's inputs (``inputs``: option name -> path)."""
    for name, given in inputs.items():
        if given is not None and same_file(output, given):
            raise InvalidRequest(field, f"{output} is the {name} ({given}); write to a new file, "
                                        "the input is never overwritten")


# ---------------------------------------------------------------- temporary files beside a target

_HOST = re.sub(r"[^A-Za-z0-9-]", "-", os.uname().nodename)[:40] or "host"
_OWNER = re.compile(r"\.sf(\d+)@([A-Za-z0-9-]+)\.")
#: a leftover younger than this is never swept, whatever its owner looks like
STALE_AFTER_SECONDS = 60.0


def temp_beside(dest: Path, suffix: str = ".part") -> tuple[int, Path]:
    """Open a hidden temporary file in ``dest``'s directory for an atomic publish.

    Why the owner in the name (``.NAME.sf<pid>@<host>.XXXX.part``): a writer killed with
    SIGKILL (or a power cut) cannot delete its temporary file, and a two-hour render's is
    hundreds of megabytes beside the editor's media. The next writer into the same folder
    removes such leftovers whose owner process is gone (see :func:`sweep_stale_temps`).
    """
    import tempfile  # here, not at import: a refusal must stay cheap

    dest = Path(dest)
    directory = dest.parent if str(dest.parent) else Path(".")
    sweep_stale_temps(directory)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.sf{os.getpid()}@{_HOST}.", suffix=suffix, dir=directory)
    return fd, Path(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def sweep_stale_temps(directory: Path, *, now: float | None = None) -> int:
    """Remove our own temporary files in ``directory`` whose writer died; returns how many.

    Only names this module made are touched, only those made on this host (a shared
    folder may hold a live render of another machine), only when that process no longer
    exists, and only when the file has not changed for a minute (a pid reused by a new
    process keeps its file, which is the safe way to be wrong).
    """
    removed = 0
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        owner = _OWNER.search(entry.name)
        if owner is None or owner.group(2) != _HOST or int(owner.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or now - entry.stat().st_mtime < STALE_AFTER_SECONDS:
                continue
            if _alive(int(owner.group(1))):
                continue
            os.unlink(entry.path)
            removed += 1
        except OSError:
            pass
    return removed
