"""Settings: validated with one clear error line naming the key, and cached across warm invocations."""
import json

import pytest

from chalicelib.config import ChatRouting, SettingsCache, SettingsError, parse_settings
from tests.conftest import CONFIG_PARAMETER, DEFAULT_SETTINGS, load_event, put_settings

VALID = {"instance_id": "6688872b-b779-4713-a25c-8a6c220d6483",
         "contact_flow_id": "a8c5b7e1-3f2d-4c1a-9e6b-2d4f8a1c7e90",
         "chat_duration_minutes": 60, "ignore_reactions": "yes", "ignore_stickers": "no"}


def parse(**changes):
    document = {**VALID, **changes}
    return parse_settings(json.dumps({k: v for k, v in document.items() if v is not None}))


def test_the_original_sample_document_parses_with_defaults_for_new_keys():
    settings = parse()

    assert settings.routing == ChatRouting("6688872b-b779-4713-a25c-8a6c220d6483",
                                           "a8c5b7e1-3f2d-4c1a-9e6b-2d4f8a1c7e90", 60)
    assert settings.ignore_reactions is True
    assert settings.ignore_stickers is False
    assert settings.mark_as_read == "agent"
    assert settings.progress_reactions is False
    assert settings.connect_participant_on_start is True
    assert settings.connect_message_max_chars == 1024
    assert settings.meta_api_version == "v20.0"
    assert settings.window_warning_minutes == 60
    assert settings.busy_message.startswith("Thanks for your message. All our agents are busy")
    assert settings.busy_retry_seconds == 30
    assert settings.busy_max_wait_minutes == 60
    assert settings.busy_timeout_message.startswith("Sorry, we could not connect you")


@pytest.mark.parametrize("value, mode", [("agent", "agent"), ("delivery", "delivery"), ("no", "no"),
                                         ("yes", "delivery"), ("No", "no")])
def test_mark_as_read_modes_and_the_older_yes(value, mode):
    assert parse(mark_as_read=value).mark_as_read == mode


def test_the_window_warning_may_be_turned_off():
    assert parse(window_warning_minutes=0).window_warning_minutes == 0


def test_the_busy_messages_may_be_turned_off_or_rewritten():
    settings = parse(busy_message="", busy_timeout_message="  Estamos ocupados.  ")

    assert settings.busy_message == ""
    assert settings.busy_timeout_message == "Estamos ocupados."


def test_chat_duration_may_be_a_numeric_string_as_in_the_original_sample():
    assert parse(chat_duration_minutes="120").routing.chat_duration_minutes == 120


@pytest.mark.parametrize("changes, message", [
    ({"instance_id": "INSTANCE_ID"}, "settings key 'instance_id' still holds the placeholder 'INSTANCE_ID'"),
    ({"contact_flow_id": None}, "settings key 'contact_flow_id' is missing"),
    ({"chat_duration_minutes": 30}, "settings key 'chat_duration_minutes' must be a whole number from 60 to 10080, not 30"),
    ({"ignore_reactions": "maybe"}, "settings key 'ignore_reactions' must be \"yes\" or \"no\", not 'maybe'"),
    ({"ignore_stickers": None}, "settings key 'ignore_stickers' is missing"),
    ({"mark_as_read": 1}, "settings key 'mark_as_read' must be \"agent\", \"delivery\" or \"no\", not 1"),
    ({"meta_api_version": "20"}, "settings key 'meta_api_version' must look like \"v20.0\", not '20'"),
    ({"connect_message_max_chars": 99999}, "settings key 'connect_message_max_chars' must be a whole number from 100 to 16384, not 99999"),
    ({"instanceid": "x"}, "settings key 'instanceid' is not a known setting"),
    ({"window_warning_minutes": 1440}, "settings key 'window_warning_minutes' must be a whole number from 0 to 1380, not 1440"),
    ({"busy_retry_seconds": 5}, "settings key 'busy_retry_seconds' must be a whole number from 10 to 3600, not 5"),
    ({"busy_max_wait_minutes": 1440}, "settings key 'busy_max_wait_minutes' must be a whole number from 1 to 1380, not 1440"),
    ({"busy_message": 7}, "settings key 'busy_message' must be text of at most 4096 characters (empty turns it off)"),
    ({"phone_numbers": {"194215367264973": {"contact_flow_id": "CONTACT_FLOW_ID"}}},
     "settings key 'phone_numbers.194215367264973.contact_flow_id' still holds the placeholder 'CONTACT_FLOW_ID'"),
])
def test_invalid_value_is_one_clear_line_naming_the_key(changes, message):
    with pytest.raises(SettingsError) as raised:
        parse(**changes)

    assert str(raised.value) == message


def test_not_json_is_a_clear_error():
    with pytest.raises(SettingsError, match="not valid JSON"):
        parse_settings("{instance_id: 1")


def test_per_number_override_inherits_what_it_does_not_set():
    settings = parse(phone_numbers={"194215367264973": {"contact_flow_id": "flow-two"}})

    assert settings.routing_for("194215367264973") == ChatRouting(
        "6688872b-b779-4713-a25c-8a6c220d6483", "flow-two", 60)
    assert settings.routing_for("101996265140636") == settings.routing


def test_cache_reads_ssm_once_within_its_lifetime_and_again_after(aws):
    import boto3

    now = [1000.0]
    cache = SettingsCache(ttl_seconds=60, clock=lambda: now[0])
    ssm = boto3.client("ssm")
    cache.settings(ssm, CONFIG_PARAMETER)
    now[0] += 59
    cache.settings(ssm, CONFIG_PARAMETER)
    assert len(aws.twin.calls_to("ssm", "GetParameter")) == 1

    put_settings({**DEFAULT_SETTINGS, "chat_duration_minutes": 90})
    now[0] += 2
    assert cache.settings(ssm, CONFIG_PARAMETER).routing.chat_duration_minutes == 90
    assert len(aws.twin.calls_to("ssm", "GetParameter")) == 2


def test_warm_invocations_share_the_cached_settings(bridge):
    bridge.whatsapp(load_event("eum-text"))
    bridge.whatsapp(load_event("eum-second-number"))
    bridge.flush()

    assert len(bridge.twin.calls_to("ssm", "GetParameter")) == 1


def test_missing_parameter_names_the_parameter(aws):
    import boto3

    boto3.client("ssm").delete_parameter(Name=CONFIG_PARAMETER)
    with pytest.raises(SettingsError, match=f"settings parameter {CONFIG_PARAMETER} does not exist"):
        SettingsCache().settings(boto3.client("ssm"), CONFIG_PARAMETER)
