"""Refuse, in one line, to package or deploy with a Python the bridge is not tested on.

Chalice picks the Lambda runtime from the Python that runs `chalice deploy`/`chalice package`, so
this is also the list of runtimes the functions may run on. Each is checked by packaging the app
with it and running the unzipped package (tests/test_package_contents.py does so for the Python
that runs the tests). Usage: python scripts/supported_python.py (exit 0, or 1 with the reason).
"""
from __future__ import annotations

import sys

SUPPORTED = ((3, 11), (3, 12), (3, 13))


def refusal(version: tuple[int, int]) -> str | None:
    """Why this Python cannot package the bridge, or None when it can."""
    if version in SUPPORTED:
        return None
    names = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED)
    current = f"{version[0]}.{version[1]}"
    return (f"Python {current} is not one the bridge is tested on (Chalice would make the functions "
            f"python{current} Lambdas); use {names}: make clean, then for example "
            f"make deploy PYTHON3=python{SUPPORTED[-1][0]}.{SUPPORTED[-1][1]}")


if __name__ == "__main__":
    reason = refusal(sys.version_info[:2])
    if reason:
        sys.exit(reason)
