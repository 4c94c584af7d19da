"""Which resources make up a stage: from its CloudFormation stack (a deployed stage), or from the
`.env.sandbox` file `make sandbox` writes (the local stage)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


class StageNotFound(Exception):
    """The stage's resources cannot be found; the message says what to do."""


@dataclass(frozen=True)
class Stage:
    name: str
    region: str
    account: str
    config_parameter: str
    inbound_topic_arn: str
    streaming_topic_arn: str
    # The stack's scope parameters: an id, or * (every instance, every business account).
    connect_instance_scope: str = "*"
    waba_scope: str = "*"
    # Chalice function -> its Lambda name; failure queue output -> its URL; empty in the sandbox,
    # where chalice local runs the handlers and no queue exists.
    functions: Mapping[str, str] = field(default_factory=dict)
    failure_queues: Mapping[str, str] = field(default_factory=dict)
    buffer_stream_arn: str = ""
    # Whether AWS services deliver through the topics' policies (a deployed stage), or the twin
    # publishes for them (the sandbox).
    deployed: bool = True


def from_stack(cloudformation: Any, stack: str, name: str, region: str,
               functions: Mapping[str, str], failure_queue_outputs: tuple[str, ...]) -> Stage:
    """The stage the stack's outputs and parameters describe; `functions` maps each Chalice
    function to its Lambda name (Chalice's naming, which the template follows)."""
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" not in str(error):
            raise
        raise StageNotFound(f"no stack {stack} in {region}: deploy the stage (make deploy STAGE={name}), "
                            f"or name the stack that holds it (--stack, for a `make package` deployment)") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    missing = [key for key in ("ConfigParameterName", "InboundTopicArn", "StreamingTopicArn") if key not in outputs]
    if missing:
        raise StageNotFound(f"stack {stack} lacks the outputs {', '.join(missing)}: update it from "
                            f"infra/resources.json (make deploy STAGE={name})")
    return Stage(
        name=name, region=region, account=described["StackId"].split(":")[4],
        config_parameter=outputs["ConfigParameterName"],
        inbound_topic_arn=outputs["InboundTopicArn"], streaming_topic_arn=outputs["StreamingTopicArn"],
        connect_instance_scope=parameters.get("ConnectInstanceId") or "*",
        waba_scope=parameters.get("WhatsAppBusinessAccountId") or "*",
        functions=dict(functions),
        failure_queues={key: outputs[key] for key in failure_queue_outputs if key in outputs},
        buffer_stream_arn=outputs.get("BufferTableStreamArn", ""),
    )


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as `make sandbox` writes them (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def from_sandbox(environment: Mapping[str, str]) -> Stage:
    """The local stage, from the sandbox's .env (sandbox/resources.py env_lines)."""
    streaming = environment["CONNECT_STREAMING_TOPIC_ARN"]
    return Stage(
        name="local", region=environment["AWS_REGION"], account=streaming.split(":")[4],
        config_parameter=environment["CONFIG_PARAMETER"],
        inbound_topic_arn=environment["SANDBOX_INBOUND_TOPIC_ARN"], streaming_topic_arn=streaming,
        deployed=False,
    )
