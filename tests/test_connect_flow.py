"""The inbound chat flow the repository ships (infra/flows/inbound-chat.json) is valid Amazon Connect
Flow language as far as the documentation tells, and the stack creates it, when asked, with the
queue given and its id in the settings as contact_flow_id.

Connect validates a flow's content when it is created (CreateContactFlow's
InvalidContactFlowException); no emulator runs flows, so the Flow language reference (Connect API
reference, "Amazon Connect Flow language": the actions, their parameters, errors and restrictions)
is checked here instead.
"""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.config import parse_settings
from tests.packaging_support import ROOT, deploy, template  # noqa: F401  (fixture)

FLOW = ROOT / "infra" / "flows" / "inbound-chat.json"
# The actions this flow uses, as the Flow language reference documents them: the parameters each
# takes, the ErrorTypes of its Transitions.Errors, and whether it ends the flow (no transitions).
ACTIONS = {
    # "Set logging behavior": FlowLoggingBehavior one of Enabled, Disabled; no errors.
    "UpdateFlowLoggingBehavior": {"parameters": {"FlowLoggingBehavior"}, "errors": set(), "terminal": False},
    # "Set working queue": QueueId (a queue id or ARN) or AgentId; NoMatchingError.
    "UpdateContactTargetQueue": {"parameters": {"QueueId", "AgentId"}, "errors": {"NoMatchingError"},
                                 "terminal": False},
    # "Send message": PromptId and SSML are voice only, "All other channels support only Text".
    "MessageParticipant": {"parameters": {"Text"}, "errors": {"NoMatchingError"}, "terminal": False},
    # "Transfer to queue": no parameters; QueueAtCapacity, NoMatchingError.
    "TransferContactToQueue": {"parameters": set(), "errors": {"QueueAtCapacity", "NoMatchingError"},
                               "terminal": False},
    # "Disconnect": no parameters, no errors, "stops this flow from running".
    "DisconnectParticipant": {"parameters": set(), "errors": set(), "terminal": True},
}
# Flow language, Actions, Identifier: up to 50 characters, none of these.
FORBIDDEN_IN_IDENTIFIER = re.compile(r"[%:(\\/)=$,;\[\]{}]")
QUEUE_ARN = ("arn:aws:connect:eu-west-2:111122223333:instance/6688872b-b779-4713-a25c-8a6c220d6483/"
             "queue/0f9d7b2c-5e3a-4c1d-8b6f-2a7e9c4d1b30")
FLOW_ARN = ("arn:aws:connect:eu-west-2:111122223333:instance/6688872b-b779-4713-a25c-8a6c220d6483/"
            "contact-flow/3c1e8f5a-9b2d-4e7c-a6f0-1d8b5c2e7a94")


@pytest.fixture(scope="module")
def flow():
    return json.loads(FLOW.read_text())


def transitions(action):
    """Every action an action may go to next."""
    found = [action["Transitions"]["NextAction"]] if "NextAction" in action["Transitions"] else []
    found += [branch["NextAction"] for key in ("Errors", "Conditions")
              for branch in action["Transitions"].get(key, [])]
    return found


def test_the_flow_is_flow_language_version_2019_10_30_with_known_actions(flow):
    assert flow["Version"] == "2019-10-30"
    identifiers = [action["Identifier"] for action in flow["Actions"]]
    assert len(identifiers) == len(set(identifiers))
    for action in flow["Actions"]:
        assert action["Type"] in ACTIONS, f"{action['Type']}: add what the Flow language reference documents for it"
        assert len(action["Identifier"]) <= 50 and not FORBIDDEN_IN_IDENTIFIER.search(action["Identifier"])
        assert set(action["Parameters"]) <= ACTIONS[action["Type"]]["parameters"], action["Identifier"]
    assert flow["StartAction"] in identifiers


def test_every_transition_goes_to_an_action_of_the_flow_and_every_error_is_handled(flow):
    identifiers = {action["Identifier"] for action in flow["Actions"]}
    for action in flow["Actions"]:
        documented = ACTIONS[action["Type"]]
        assert set(transitions(action)) <= identifiers, action["Identifier"]
        if documented["terminal"]:
            assert action["Transitions"] == {}, action["Identifier"]
            continue
        assert action["Transitions"]["NextAction"] in identifiers, action["Identifier"]
        handled = [branch["ErrorType"] for branch in action["Transitions"].get("Errors", [])]
        assert sorted(handled) == sorted(documented["errors"]), action["Identifier"]


def test_every_action_is_reached_and_every_path_ends_in_a_disconnect(flow):
    actions = {action["Identifier"]: action for action in flow["Actions"]}
    reached, frontier = set(), [flow["StartAction"]]
    while frontier:
        identifier = frontier.pop()
        if identifier not in reached:
            reached.add(identifier)
            frontier += transitions(actions[identifier])
    assert reached == set(actions)

    def ends(identifier, path=()):
        assert identifier not in path, f"a loop: {path + (identifier,)}"
        following = transitions(actions[identifier])
        return ACTIONS[actions[identifier]["Type"]]["terminal"] if not following else all(
            ends(step, path + (identifier,)) for step in following)

    assert ends(flow["StartAction"])


def test_the_flow_sets_the_queue_greets_then_transfers(flow):
    actions = {action["Identifier"]: action for action in flow["Actions"]}
    path, identifier = [], flow["StartAction"]
    while identifier:
        path.append(actions[identifier]["Type"])
        identifier = actions[identifier]["Transitions"].get("NextAction")
    assert path == ["UpdateFlowLoggingBehavior", "UpdateContactTargetQueue", "MessageParticipant",
                    "TransferContactToQueue", "DisconnectParticipant"]
    (queue_setter,) = [a for a in flow["Actions"] if a["Type"] == "UpdateContactTargetQueue"]
    assert queue_setter["Parameters"] == {"QueueId": "${QueueArn}"}
    texts = [a["Parameters"]["Text"] for a in flow["Actions"] if a["Type"] == "MessageParticipant"]
    assert texts and all(0 < len(text) <= 1024 for text in texts)  # one chat message each


# --- the stack creates it ---------------------------------------------------------------------------

class Evaluator(deploy.Resolver):
    """The deploy script's Resolver, plus the intrinsic functions of the inbound flow's wiring."""

    def __init__(self, values, conditions):
        super().__init__(values)
        self.conditions = conditions

    def __call__(self, node):
        if isinstance(node, dict) and len(node) == 1:
            (key, value), = node.items()
            if key == "Fn::If":
                condition, when_true, when_false = value
                return self(when_true if self.holds(condition) else when_false)
            if key == "Fn::Select":
                index, items = value
                return self(items)[index]
            if key == "Fn::Split":
                separator, text = value
                return self(text).split(separator)
        return super().__call__(node)

    def holds(self, name):
        (operator, (left, right)), = self.conditions[name].items()
        assert operator == "Fn::Equals"
        return self(left) == self(right)


def evaluate(template, node, **parameters):
    values = {**{name: str(p.get("Default", "")) for name, p in template["Parameters"].items()},
              **parameters, "InboundFlow": FLOW_ARN}
    return Evaluator(values, template["Conditions"])(node)


def test_the_template_carries_the_flow_file_with_the_queue_substituted(template, flow):
    resource = template["Resources"]["InboundFlow"]
    assert resource["Type"] == "AWS::Connect::ContactFlow" and resource["Condition"] == "CreatesInboundFlow"
    properties = resource["Properties"]
    assert properties["Type"] == "CONTACT_FLOW"
    content, substitutions = properties["Content"]["Fn::Sub"]
    assert json.loads(content) == flow, "infra/resources.json holds another flow: see infra/flows/README.md"
    assert substitutions == {"QueueArn": {"Ref": "InboundFlowQueueArn"}}

    created = json.loads(evaluate(template, properties["Content"], InboundFlowQueueArn=QUEUE_ARN))
    (queue_setter,) = [a for a in created["Actions"] if a["Type"] == "UpdateContactTargetQueue"]
    assert queue_setter["Parameters"] == {"QueueId": QUEUE_ARN}
    # In the queue's own instance.
    assert evaluate(template, properties["InstanceArn"], InboundFlowQueueArn=QUEUE_ARN) == \
        QUEUE_ARN.split("/queue/")[0]


@pytest.mark.parametrize("create, expected", [
    ("true", ("6688872b-b779-4713-a25c-8a6c220d6483", "3c1e8f5a-9b2d-4e7c-a6f0-1d8b5c2e7a94")),
    ("false", None),
])
def test_the_created_flow_is_the_contact_flow_id_of_the_seeded_settings(template, create, expected):
    value = template["Resources"]["ConfigParameter"]["Properties"]["Value"]
    seeded = evaluate(template, value, CreateInboundFlow=create, InboundFlowQueueArn=QUEUE_ARN)
    if expected is None:
        assert json.loads(seeded)["contact_flow_id"] == "CONTACT_FLOW_ID"  # named by hand, as before
        return
    settings = parse_settings(seeded)  # the bridge runs on them as seeded
    assert (settings.routing.instance_id, settings.routing.contact_flow_id) == expected
    output = template["Outputs"]["InboundFlowId"]
    assert output["Condition"] == "CreatesInboundFlow"
    assert evaluate(template, output["Value"]) == expected[1]


def test_cloudformation_refuses_the_flow_without_a_queue(template):
    (rule,) = template["Rules"].values()
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "CreateInboundFlow"}, "true"]}
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "InboundFlowQueueArn"}, ""]}]}


@pytest.mark.parametrize("stage, instance, queue, refusal", [
    ("dev", "*", "", "CreateInboundFlow is true, so set InboundFlowQueueArn"),
    ("prod", "0e1d2c3b-4a59-4867-9c8b-7a6f5e4d3c2b", QUEUE_ARN,
     "InboundFlowQueueArn is a queue of another instance than ConnectInstanceId"),
    ("prod", "6688872b-b779-4713-a25c-8a6c220d6483", QUEUE_ARN, None),
    ("dev", "*", QUEUE_ARN, None),
])
def test_make_deploy_and_package_refuse_a_flow_without_a_queue_or_in_another_instance(
        template, stage, instance, queue, refusal):
    settings = {"ConnectInstanceId": instance, "WhatsAppBusinessAccountId": "7c2025cfddb055018df85097925ee415",
                "CreateInboundFlow": "true", "InboundFlowQueueArn": queue}
    if refusal is None:
        assert deploy.parameter_values(template, stage, settings)["InboundFlowQueueArn"] == queue
        return
    with pytest.raises(SystemExit) as refused:
        deploy.parameter_values(template, stage, settings)
    assert str(refused.value).startswith(f"infra/stages/{stage}.json: {refusal}")
    assert "\n" not in str(refused.value)
