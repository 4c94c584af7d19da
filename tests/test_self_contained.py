"""A fresh clone, alone in an empty folder, has everything its tests, sandbox and docs use.

The reference events once lived beside the repository (in a sibling folder); tests that read them
passed on one machine and failed for everyone else. This module names those escape patterns, so
the scan of tracked files skips it.
"""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.conftest import OUTSIDE_READS
from tests.repository import (
    EVENTS_DIR, ROOT, OutsideReadGuard, OutsideRepositoryError, load_event, pytest_temp_root,
)

# Paths that only exist on the machine a file was written on: the sibling folder of reference
# material, and this machine's absolute checkout location.
MACHINE_PATHS = re.compile(r"\.\./shared\b|(?<![\w.~/-])/work/")
PARENTS_INDEX = re.compile(r"parents\[(\d+)\]")
# The root's own parent, under the names the project gives its root.
ROOT_PARENT = re.compile(r"\b(?:ROOT|PROJECT_DIR)\.parent\b")


def test_every_reference_event_is_a_lambda_sns_event_of_the_project():
    names = sorted(path.name for path in EVENTS_DIR.glob("*.json"))

    assert len(names) == 38
    for name in names:
        (first, *_) = load_event(name)["Records"]
        assert first["EventSource"] == "aws:sns"
        assert isinstance(json.loads(first["Sns"]["Message"]), dict)
    assert load_event("eum-text") == load_event("eum-text.json")


@pytest.mark.parametrize("name", ["../../elsewhere/events/eum-text", "/etc/hostname", "../../README"])
def test_the_event_loader_refuses_paths_outside_the_repository(name):
    with pytest.raises(OutsideRepositoryError, match="outside the repository"):
        load_event(name)


def test_a_missing_reference_event_fails_instead_of_skipping():
    with pytest.raises(FileNotFoundError):
        load_event("eum-no-such-event")


def test_the_suite_records_a_path_opened_beside_the_repository():
    beside = ROOT.parent / f"shared-{uuid.uuid4().hex}.json"  # never created: nothing is read
    already = len(OUTSIDE_READS.escapes)

    with pytest.raises(FileNotFoundError):
        beside.read_text()
    recorded = OUTSIDE_READS.escapes[already:]
    del OUTSIDE_READS.escapes[already:]  # or this test's own check would fail it
    load_event("eum-text")
    (ROOT / "README.md").read_bytes()

    assert recorded == [str(beside)]
    assert len(OUTSIDE_READS.escapes) == already


def test_a_clone_in_the_temporary_folder_may_use_its_own_scratch_files_but_not_its_neighbours(
        tmp_path, monkeypatch):
    """A clone in /tmp: its neighbours are pytest's and the product's temporary files too."""
    monkeypatch.delenv("PYTEST_DEBUG_TEMPROOT", raising=False)
    clone = tmp_path / "fresh"
    clone.mkdir()
    neighbour = tmp_path / "shared" / "events" / "eum-text.json"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_text("{}")
    guard = OutsideReadGuard(clone, temp_dir=str(tmp_path)).install()
    try:
        (clone / "README.md").write_text("inside")
        scratch = Path(tempfile.mkdtemp(prefix="audio-", dir=tmp_path))
        (scratch / "in.ogg").write_bytes(b"OggS")
        (scratch / "in.ogg").read_bytes()
        pytest_temp = Path(pytest_temp_root(str(tmp_path)))
        with pytest.raises(FileNotFoundError):
            (pytest_temp / "pytest-1" / "lock").read_text()
        neighbour.read_text()
        sorted((tmp_path / "shared").iterdir())
    finally:
        guard.stop()

    assert guard.escapes == [str(neighbour), str(tmp_path / "shared")]


def test_no_tracked_file_points_outside_the_repository():
    """The folder of shared material beside the clone, this machine's absolute paths,
    `ROOT.parent`, or `Path(__file__).parents[n]` climbing above the repository's root."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    findings = []
    for name in tracked.decode().split("\0"):
        path = ROOT / name
        if not name or path == Path(__file__) or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary: the vendored ffmpeg, audio fixtures
        depth = len(Path(name).parts) - 1  # parents[depth] of a file at this depth is the root
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            escapes = MACHINE_PATHS.findall(line) + ROOT_PARENT.findall(line) + [
                match for match in PARENTS_INDEX.findall(line) if int(match) > depth]
            if escapes:
                findings.append(f"{name}:{number}: {line.strip()}")
    assert findings == []
