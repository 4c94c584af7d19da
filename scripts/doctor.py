#!/usr/bin/env python3
"""`make doctor STAGE=<stage>`: checks a deployed stage against its account, read-only, and prints
one line per check, ✓ or ✗ with the fix for each ✗ (docs/operations.md). Exits 1 when any fails.

A deployed stage is found through its resources stack (`whatsapp-connect-chat-<stage>-resources`,
what `make deploy` creates; `--stack` names another, such as a `make package` deployment's), with
AWS reached the standard boto3 way (AWS_PROFILE, AWS_REGION...). STAGE=local checks the running
sandbox through the `.env.sandbox` file `make sandbox` writes.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Iterable, Mapping

ROOT = Path(__file__).resolve().parents[1]
# deploy_bridge beside this script, and the doctor package, found before this script of the same
# name (Python puts scripts/ first when it runs the script).
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import boto3  # noqa: E402
from botocore.exceptions import BotoCoreError, EndpointConnectionError, NoCredentialsError  # noqa: E402

from deploy_bridge import FAILURE_QUEUE_OUTPUTS, FUNCTIONS, function_name, stack_name  # noqa: E402
from doctor import checks, report, stage as stages  # noqa: E402

SANDBOX_ENV = ROOT / ".env.sandbox"
# The keys of .env.sandbox that reach the twin: its endpoints, region and throwaway credentials.
_SANDBOX_AWS_KEYS = ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def sandbox_session(environment: Mapping[str, str]) -> boto3.session.Session:
    """A session with the sandbox's region and throwaway credentials: nothing here may reach a
    real account (its endpoints go to each client, checks.Clients.from_session)."""
    return boto3.session.Session(
        region_name=environment["AWS_REGION"], aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=environment.get("AWS_SESSION_TOKEN"))


def find_stage(args: argparse.Namespace) -> tuple[stages.Stage, checks.Clients]:
    if args.stage == "local":
        if not args.env_file.exists():
            raise stages.StageNotFound(f"no {args.env_file.name}: start the sandbox first (make sandbox)")
        environment = stages.read_env_file(args.env_file)
        missing = [k for k in _SANDBOX_AWS_KEYS if k not in environment]
        if missing:
            raise stages.StageNotFound(f"{args.env_file.name} lacks {', '.join(missing)}: restart make sandbox")
        found = stages.from_sandbox(environment)
        endpoints = {k: v for k, v in environment.items() if k.startswith("AWS_ENDPOINT_URL")}
        return found, checks.Clients.from_session(sandbox_session(environment), False, endpoints)
    session = boto3.session.Session()
    stack = args.stack or stack_name(args.stage)
    functions = {function: function_name(args.stage, function) for function in FUNCTIONS}
    found = stages.from_stack(session.client("cloudformation"), stack, args.stage, session.region_name,
                              functions, FAILURE_QUEUE_OUTPUTS)
    return found, checks.Clients.from_session(session, True)


def main(argv: Iterable[str] | None = None, out=sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--stack", help="the stack holding the stage's resources (default "
                                        "whatsapp-connect-chat-<stage>-resources)")
    parser.add_argument("--env-file", type=Path, default=SANDBOX_ENV,
                        help="the sandbox's .env, for --stage local (default .env.sandbox)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    print(f"doctor: stage {args.stage}", file=out)
    failures = 0
    try:
        stage, clients = find_stage(args)
        for result in checks.run(clients, stage):
            failures += result.failed
            for line in report.lines(result):
                print(line, file=out, flush=True)
    except stages.StageNotFound as error:
        print(f"{report.FAILED} {error}", file=out)
        return 1
    except EndpointConnectionError as error:
        where = "the sandbox's twin (is make sandbox running?)" if args.stage == "local" else "AWS"
        print(f"{report.FAILED} cannot reach {where}: {error}", file=out)
        return 1
    except (NoCredentialsError, BotoCoreError) as error:
        print(f"{report.FAILED} {error}: set AWS_PROFILE and AWS_REGION (docs/deploy.md, Prerequisites)", file=out)
        return 1
    print(f"{failures} check{'s' * (failures != 1)} failed" if failures else "all checks passed", file=out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
