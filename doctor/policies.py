"""Whether a resource policy (an SNS topic's, a KMS key's) lets an AWS service act on the
account's behalf: pure functions over the policy document.

IAM's evaluation, as far as these policies use it (IAM User Guide, "Policy evaluation logic"): an
explicit Deny wins, else an Allow whose principal, action, resource and conditions all match. The
condition operators are the ones a service principal's statement is scoped with (IAM User Guide,
"Condition operators"; aws:SourceArn and aws:SourceAccount, "AWS global condition context keys").
"""
from __future__ import annotations

import fnmatch
import json
from typing import Any, Mapping

# Operator -> how one value matches one pattern. The ...Like operators take * and ? wildcards.
_MATCHERS = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringLike": lambda value, pattern: fnmatch.fnmatchcase(value, pattern),
    "ArnEquals": lambda value, pattern: value == pattern,
    "ArnLike": lambda value, pattern: fnmatch.fnmatchcase(value, pattern),
}


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def service_allowed(policy: str | Mapping, service: str, action: str, resource: str,
                    context: Mapping[str, str]) -> bool:
    """Whether `service` (connect.amazonaws.com) may perform `action` on `resource` when the
    request carries `context` (aws:SourceArn, aws:SourceAccount). A policy that is not JSON
    allows nothing."""
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
        statements = _listed(document.get("Statement", []))
    except (ValueError, AttributeError):
        return False
    matching = [s for s in statements if _applies(s, service, action, resource, context)]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" for s in matching)


def _applies(statement: Mapping, service: str, action: str, resource: str, context: Mapping[str, str]) -> bool:
    principal = statement.get("Principal", {})
    services = _listed(principal.get("Service", [])) if isinstance(principal, dict) else []
    if principal != "*" and service not in services:
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement.get("Action", []))):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement.get("Resource", "*"))):
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


def _conditions_hold(condition: Mapping, context: Mapping[str, str]) -> bool:
    for operator, keys in condition.items():
        match = _MATCHERS.get(operator)
        if match is None:
            return False  # an operator this reading does not know: do not claim it allows
        for key, patterns in keys.items():
            value = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if value is None or not any(match(value, str(p)) for p in _listed(patterns)):
                return False
    return True
