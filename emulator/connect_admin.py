"""Amazon Connect's read-only instance administration: what an operator (`make doctor`) asks about
an instance, its flows and its storage, as the connect model answers it.

Every instance of the ConnectEmulator is ACTIVE, its flows are published inbound flows, and it
stores attachments and chat transcripts in S3, until a test says otherwise (`set_flow`,
`set_storage`); reset() returns to that.
"""

import threading

from emulator.restjson import ServiceError, locked

CONNECT_ADMIN_OPERATIONS = ("DescribeInstance", "DescribeContactFlow", "ListInstanceStorageConfigs")
# InstanceStorageResourceType (connect model): the two the bridge depends on. ATTACHMENTS is where
# an instance with attachments enabled keeps the files (Admin Guide, "Enable attachments"); a
# persistent chat reads the past contact's transcript from the CHAT_TRANSCRIPTS bucket (Admin
# Guide, "Enable persistent chat": "ensure that your instance's S3 bucket for chat transcripts
# contains the past contact's transcript").
DEFAULT_STORAGE = ("ATTACHMENTS", "CHAT_TRANSCRIPTS")
_STORAGE_TYPES = (
    "CHAT_TRANSCRIPTS CALL_RECORDINGS SCHEDULED_REPORTS MEDIA_STREAMS CONTACT_TRACE_RECORDS AGENT_EVENTS "
    "REAL_TIME_CONTACT_ANALYSIS_SEGMENTS ATTACHMENTS CONTACT_EVALUATIONS SCREEN_RECORDINGS "
    "REAL_TIME_CONTACT_ANALYSIS_CHAT_SEGMENTS REAL_TIME_CONTACT_ANALYSIS_VOICE_SEGMENTS EMAIL_MESSAGES"
).split()


class ConnectAdmin:
    """DescribeInstance, DescribeContactFlow and ListInstanceStorageConfigs over the instances
    and flows of `connect` (an emulator.connect.ConnectEmulator)."""

    def __init__(self, connect, account_id, region):
        self._lock = threading.RLock()
        self._connect = connect
        self._account_id = account_id
        self._region = region
        self.reset()

    @locked
    def reset(self):
        # (instance id, flow id) -> the ContactFlow members that differ from a published inbound flow.
        self._flows = {}
        # instance id -> the storage resource types it has a config for, when not DEFAULT_STORAGE.
        self._storage = {}
        # instance id -> (InstanceStatus, StatusReason message), when not ACTIVE.
        self._status = {}

    def handlers(self):
        return {
            ("connect", "DescribeInstance"): self.describe_instance,
            ("connect", "DescribeContactFlow"): self.describe_contact_flow,
            ("connect", "ListInstanceStorageConfigs"): self.list_instance_storage_configs,
        }

    # --- what a test changes ---

    @locked
    def set_flow(self, instance_id, flow_id, **members):
        """The flow's State (ACTIVE, ARCHIVED), Status (PUBLISHED, SAVED: never published, which
        DescribeContactFlow refuses) or Type, as the connect model names them."""
        self._flows.setdefault((instance_id, flow_id), {}).update(members)

    @locked
    def set_instance_status(self, instance_id, status, reason=""):
        """InstanceStatus (CREATION_IN_PROGRESS, ACTIVE, CREATION_FAILED) and its StatusReason."""
        self._status[instance_id] = (status, reason)

    @locked
    def set_storage(self, instance_id, resource_type, enabled):
        types = set(self._storage.get(instance_id, DEFAULT_STORAGE))
        if enabled:
            types.add(resource_type)
        else:
            types.discard(resource_type)
        self._storage[instance_id] = tuple(sorted(types))

    # --- operations ---

    @locked
    def describe_instance(self, params):
        instance_id = self._instance(params["InstanceId"])
        status, reason = self._status.get(instance_id, ("ACTIVE", ""))
        instance = {
            "Id": instance_id, "Arn": self._arn(instance_id), "IdentityManagementType": "CONNECT_MANAGED",
            "InstanceAlias": f"twin-{instance_id[:8]}", "InstanceStatus": status,
            "InboundCallsEnabled": True, "OutboundCallsEnabled": True,
            "InstanceAccessUrl": f"https://twin-{instance_id[:8]}.my.connect.aws",
        }
        if reason:
            instance["StatusReason"] = {"Message": reason}
        return {"Instance": instance}

    @locked
    def describe_contact_flow(self, params):
        instance_id = self._instance(params["InstanceId"])
        flow_id = params["ContactFlowId"]
        if flow_id not in self._connect.instances[instance_id]:
            raise ServiceError("ResourceNotFoundException", f"Contact flow {flow_id} not found", 404)
        flow = {"Arn": f"{self._arn(instance_id)}/contact-flow/{flow_id}", "Id": flow_id,
                "Name": "Inbound WhatsApp chat", "Type": "CONTACT_FLOW", "State": "ACTIVE",
                "Status": "PUBLISHED", "Content": "{}"}
        flow.update(self._flows.get((instance_id, flow_id), {}))
        if flow["Status"] != "PUBLISHED":
            # DescribeContactFlow (connect model) lists ContactFlowNotPublishedException: "The flow
            # has not been published." (a flow saved but never published: it has no version to run).
            raise ServiceError("ContactFlowNotPublishedException", "The flow has not been published.")
        return {"ContactFlow": flow}

    @locked
    def list_instance_storage_configs(self, params):
        instance_id = self._instance(params["InstanceId"])
        resource_type = params["ResourceType"]
        if resource_type not in _STORAGE_TYPES:
            raise ServiceError("InvalidParameterException", f"Invalid ResourceType {resource_type}")
        if resource_type not in self._storage.get(instance_id, DEFAULT_STORAGE):
            return {"StorageConfigs": []}
        return {"StorageConfigs": [{
            "AssociationId": f"{instance_id[:8]}-{resource_type.lower()}", "StorageType": "S3",
            "S3Config": {"BucketName": f"amazon-connect-{instance_id[:12]}",
                         "BucketPrefix": f"connect/twin/{resource_type.title().replace('_', '')}"},
        }]}

    def _instance(self, instance_id):
        if instance_id not in self._connect.instances:
            raise ServiceError("ResourceNotFoundException", f"Instance {instance_id} not found", 404)
        return instance_id

    def _arn(self, instance_id):
        return f"arn:aws:connect:{self._region}:{self._account_id}:instance/{instance_id}"
