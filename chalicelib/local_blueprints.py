"""The blueprints a stage adds (LOCAL_BLUEPRINTS: the sandbox's routes), for `chalice local` only.

app.py registers them when Chalice imports it, and Chalice imports it for `chalice deploy` and
`chalice package` too, after applying the stage's environment variables over the shell's (chalice
.cli.factory.CLIFactory.load_chalice_app). Nothing in the environment tells the commands apart:
a shell with LOCAL_BLUEPRINTS exported, or the local stage packaged, would ship the sandbox's
routes as a public API. What does tell them apart is the Chalice command running: click's current
context names it (`deploy`, `package`) while Chalice loads the app for it, in the command's own
thread. `chalice local` is never refused (with --autoreload its worker loads the app on a server
thread, outside any context), and neither is an import outside the CLI (a test, the Lambda
runtime, which never sees the variable unless a stage set it, and then its package was refused).
"""
from __future__ import annotations

from typing import Mapping

VARIABLE = "LOCAL_BLUEPRINTS"
# The Chalice commands whose result leaves this machine.
SHIPPING_COMMANDS = frozenset({"deploy", "package"})


class ShippingRefused(Exception):
    """LOCAL_BLUEPRINTS is set for a command that ships the app."""


def names(environ: Mapping[str, str]) -> list[str]:
    """`module:attribute` names, comma-separated."""
    return [name.strip() for name in environ.get(VARIABLE, "").split(",") if name.strip()]


def refusal(blueprints: list[str], command: str | None, stage: str | None) -> str | None:
    """One line saying why the command may not run, or None."""
    if not blueprints or command not in SHIPPING_COMMANDS:
        return None
    return (f"Refusing `chalice {command} --stage {stage or 'dev'}`: {VARIABLE} is set "
            f"({','.join(blueprints)}), which would ship the sandbox's routes as a public API. "
            f"It is for `chalice local --stage local` only: unset {VARIABLE} and run it again.")


def to_register(environ: Mapping[str, str]) -> list[str]:
    """The blueprints to register; raises, as one line, for a command that ships the app."""
    blueprints = names(environ)
    if not blueprints:
        return []
    command, stage = _chalice_command()
    message = refusal(blueprints, command, stage)
    if message:
        raise _error(message)
    return blueprints


def _chalice_command() -> tuple[str | None, str | None]:
    """The Chalice CLI command loading the app, and its --stage; (None, None) outside the CLI.
    click comes with Chalice's CLI, not with the deployed functions: it is imported only here."""
    try:
        import click
    except ImportError:
        return None, None
    context = click.get_current_context(silent=True)
    if context is None:
        return None, None
    stage = context.params.get("stage")
    return context.info_name, stage if isinstance(stage, str) else None


def _error(message: str) -> Exception:
    """Under the CLI, click prints a ClickException as the one line `Error: …` and exits 1."""
    try:
        import click
    except ImportError:
        return ShippingRefused(message)
    return click.ClickException(message)
