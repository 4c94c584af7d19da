"""What the tests may read: this repository's own files, and nothing beside it.

A fresh clone has no sibling folders, so a test that reads one (the reference events used to live
in a folder beside the repository) passes here and fails for everyone else. `load_event`
(emulator/reference_events.py, which the benchmark uses too) reads the project's own copies in
events/ and refuses any path that resolves outside the repository; `OutsideReadGuard` notices when
anything in the test process opens or lists a path in the repository's parent folder anyway.
"""
from __future__ import annotations

import getpass
import os
import sys
import tempfile
from pathlib import Path

from emulator.reference_events import (  # noqa: F401 - the tests import them from here
    EVENTS_DIR, ROOT, OutsideRepositoryError, load_event, repository_file,
)


# Audit events that touch a path (args[0]): opening a file, listing a directory, making one.
_PATH_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "os.mkdir"})
_CREATE_FLAGS = os.O_CREAT | os.O_WRONLY | os.O_RDWR


class OutsideReadGuard:
    """An audit hook (PEP 578) that records every path in the repository's parent folder, outside
    the repository, that this process opens, lists or creates.

    Only the parent is watched, so the standard library and /usr stay out of it (and `.venv` is
    inside the repository). When the repository sits in the temporary directory (a clone in
    /tmp), its neighbours include the tests' own scratch files, so those are let through: pytest's
    temporary root, and files and directories this process created there itself. Audit hooks
    cannot be removed; `stop()` makes this one return at once.
    """

    def __init__(self, root: Path, temp_dir: str | None = None) -> None:
        self.escapes: list[str] = []
        self._root = str(root)
        self._parent = os.path.dirname(self._root)
        self._temp = os.path.realpath(temp_dir or tempfile.gettempdir())
        self._pytest_temp = pytest_temp_root(self._temp)
        self._made: set[str] = set()
        # A repository at the filesystem root has no parent to watch.
        self._active = self._parent != os.path.dirname(self._parent)

    def install(self) -> OutsideReadGuard:
        sys.addaudithook(self._audit)
        return self

    def stop(self) -> None:
        self._active = False

    def _audit(self, event: str, args: tuple) -> None:
        if event not in _PATH_EVENTS or not self._active:
            return
        target = args[0] if args else None
        if not isinstance(target, (str, bytes, os.PathLike)):
            return  # a file descriptor, or listdir() of the working directory
        path = os.path.abspath(os.fsdecode(target))
        if not _within(path, self._parent) or _within(path, self._root):
            return
        if _within(path, self._temp) and self._scratch(path, event, args):
            return
        self.escapes.append(path)

    def _scratch(self, path: str, event: str, args: tuple) -> bool:
        """A temporary file of the tests': pytest's, or one this process made (and now uses)."""
        if _within(path, self._pytest_temp):
            return True
        if event == "os.mkdir" or (event == "open" and _creates(args)):
            self._made.add(path)
            return True
        while _within(path, self._temp) and path != self._temp:
            if path in self._made:
                return True
            path = os.path.dirname(path)
        return False


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + os.sep)


def _creates(args: tuple) -> bool:
    """An `open` audit event that writes: io.open passes a mode string, os.open flags."""
    mode, flags = (args + (None, 0))[1:3]
    return bool(isinstance(mode, str) and set(mode) & set("wxa+")) or bool((flags or 0) & _CREATE_FLAGS)


def pytest_temp_root(temp_dir: str) -> str:
    """Where pytest keeps every run's tmp_path folders (and cleans up old ones): the same rule as
    pytest's own TempPathFactory."""
    try:
        user = getpass.getuser()
    except (ImportError, KeyError, OSError):
        user = "unknown"
    temp_root = os.environ.get("PYTEST_DEBUG_TEMPROOT") or temp_dir
    return os.path.join(os.path.realpath(temp_root), f"pytest-of-{user}")
