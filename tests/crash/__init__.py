"""The crash-point explorer: every flow killed right after each of its AWS calls, then retried as
Lambda retries it (see docs/reliability.md)."""
