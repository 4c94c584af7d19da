"""A check's outcome, and how it is printed: one line, ✓ or ✗ (with the fix) or – (not checked)."""
from __future__ import annotations

from dataclasses import dataclass

PASSED, FAILED, SKIPPED = "✓", "✗", "–"


@dataclass(frozen=True)
class Result:
    mark: str
    text: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.mark == FAILED


def passed(text: str) -> Result:
    return Result(PASSED, text)


def failed(text: str, fix: str) -> Result:
    return Result(FAILED, text, fix)


def skipped(text: str) -> Result:
    return Result(SKIPPED, text)


def lines(result: Result) -> list[str]:
    """The check's line, and for a ✗ its fix on the next, indented."""
    shown = [f"{result.mark} {result.text}"]
    if result.fix:
        shown.append(f"    fix: {result.fix}")
    return shown
