"""on_whatsapp_event: every customer message (and failed status) written to the buffer, once."""
from __future__ import annotations

from . import agent_receipts, buffer, logs, messaging, whatsapp
from .config import Settings, SettingsError
from .runtime import Runtime

RECEIVED_REACTION = "👀"


def receive(event: dict, runtime: Runtime) -> None:
    """Buffering does not depend on the settings: while an operator fixes a broken settings
    parameter, customers' messages wait in the buffer (the flush retries them) instead of failing
    here, where nothing would keep them once Lambda gave up.
    """
    try:
        settings: Settings | None = runtime.settings()
    except SettingsError as error:
        logs.error("settings_invalid_buffering_anyway", reason=str(error))
        settings = None
    for record in event.get("Records", []):
        sns = record.get("Sns") if isinstance(record, dict) else None
        sns_message_id = sns.get("MessageId") if isinstance(sns, dict) else None
        try:
            webhook = whatsapp.parse_notification(sns.get("Message") if isinstance(sns, dict) else None)
        except whatsapp.MalformedEvent as error:
            logs.warning("malformed_whatsapp_event_skipped", reason=str(error),
                         snsMessageId=sns_message_id)
            continue
        for skipped in webhook.skipped:
            # The reason and the place say what was wrong; the item itself may hold a phone number.
            logs.warning("malformed_whatsapp_item_skipped", reason=skipped.reason, where=skipped.where,
                         messageId=skipped.message_id, snsMessageId=sns_message_id)
        for notification in webhook.notifications:
            _buffer_notification(notification, settings, runtime)


def _buffer_notification(notification: whatsapp.Notification, settings: Settings | None,
                         runtime: Runtime) -> None:
    fields = {"messageId": notification.message_id, "customer": notification.customer.customer_id,
              "phoneNumberId": notification.business.meta_phone_number_id}
    if isinstance(notification, whatsapp.DeliveryStatus):
        fields["status"] = notification.status
    else:
        fields["type"] = notification.type
    if isinstance(notification, whatsapp.DeliveryStatus) and not buffer.is_buffered_notification(
            notification):
        logs.info("whatsapp_status_received", **fields)
        agent_receipts.to_agent(notification, runtime)
        return
    if (settings is not None and isinstance(notification, whatsapp.InboundMessage)
            and settings.ignores(notification.type)):
        logs.info("whatsapp_message_ignored_by_settings", **fields)
        return
    item = buffer.buffer_item(notification, runtime.clock())
    if not buffer.put_once(runtime.buffer_table, item):
        logs.info("whatsapp_redelivery_skipped", **fields)
        return
    logs.info("whatsapp_message_buffered", **fields)
    if (settings is not None and settings.progress_reactions
            and isinstance(notification, whatsapp.InboundMessage)):
        messaging.send_best_effort(
            runtime.clients.social, notification.business.origination_id,
            whatsapp.reaction_message(notification.customer.address, notification.message_id,
                                      RECEIVED_REACTION),
            settings.meta_api_version, "progress_reaction_failed", messageId=notification.message_id)
