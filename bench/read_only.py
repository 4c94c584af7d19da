"""A deployment zip unpacked as Lambda has it: a directory nothing can be written into.

Lambda's /var/task is read-only, so a cold start cannot leave `__pycache__` behind for the next
one: every process starts from what the zip holds. `unpack` makes such a directory and `command`
runs a program against it. For an ordinary user the mode bits (chmod a-w) are enough; root ignores
them, so as root the program runs in a private mount namespace (`unshare --mount`) where the
directory is a read-only bind mount of itself, which refuses writes with EROFS as Lambda's does.
The mount is gone when the program exits; nothing outside that program sees it. (tempfile and
pytest give the write bits back when they delete such a directory.)
"""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

# Mount the directory read-only over itself, then run the program ("$@") in its place.
_READ_ONLY_BIND = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def unpack(archive: Path, directory: Path) -> Path:
    """The zip unpacked into `directory`, then every file and folder made read-only."""
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(directory)
    for path in [directory, *directory.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return directory


def command(directory: Path, argv: list[str]) -> list[str]:
    """`argv`, run where `directory` cannot be written."""
    if os.geteuid() != 0:
        return argv
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", _READ_ONLY_BIND,
            str(directory), *argv]


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every path under `directory` with its size and modification time: equal before and after a
    run when the run wrote nothing."""
    return {str(path.relative_to(directory)): (path.lstat().st_size, path.lstat().st_mtime_ns)
            for path in directory.rglob("*")}

