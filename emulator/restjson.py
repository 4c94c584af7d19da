"""rest-json wire format, driven by botocore's own service models.

Routes, member locations and blob encoding come from the same models the product's boto3
clients use, so the emulator cannot drift from what the SDK actually sends.
"""

import base64
import functools
import json
import re

import botocore.session
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response


class ServiceError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def error_response(code, message, status):
    body = json.dumps({"message": message, "Message": message})
    return Response(body, status=status, content_type="application/json", headers={"x-amzn-ErrorType": code})


def json_response(payload, status=200):
    return Response(json.dumps(payload), status=status, content_type="application/json")


def locked(method):
    """Serialises a method on its instance's `_lock`: werkzeug serves requests in threads."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class Operation:
    def __init__(self, service, model):
        self.service = service
        self.name = model.name
        self.method = model.http["method"]
        self.uri = model.http["requestUri"]
        self._input = model.input_shape
        self.required = list(model.input_shape.required_members) if model.input_shape else []

    def rule(self):
        path = re.sub(r"\{(\w+)\+\}", r"<path:\1>", self.uri)
        return re.sub(r"\{(\w+)\}", r"<\1>", path)

    def parse(self, request, uri_values):
        """Returns the operation's input members found in the request, as boto3 named them."""
        if self._input is None:
            return {}
        body = _json_or_none(request.get_data())
        params = {}
        for name, shape in self._input.members.items():
            location = shape.serialization.get("location")
            wire_name = shape.serialization.get("name", name)
            if location == "uri":
                value = uri_values.get(wire_name)
            elif location == "header":
                value = request.headers.get(wire_name)
            elif location == "querystring":
                value = _scalar(request.args.get(wire_name), shape, wire_name)
            else:
                value = body.get(wire_name) if isinstance(body, dict) else None
                if value is not None and shape.type_name == "blob":
                    value = base64.b64decode(value)
            if value is not None:
                params[name] = value
        return params


class Router:
    """Maps (method, path) to the operations of one or more rest-json services."""

    def __init__(self):
        self._session = botocore.session.get_session()
        self._map = Map()
        self._operations = {}

    def add(self, service, operation_names):
        model = self._session.get_service_model(service)
        for name in operation_names:
            operation = Operation(service, model.operation_model(name))
            key = (service, name)
            self._operations[key] = operation
            self._map.add(Rule(operation.rule(), methods=[operation.method], endpoint=key))

    def match(self, request):
        """Returns (operation, the values of its URI's placeholders), or None if no operation has
        this route; `operation.parse` reads the rest."""
        adapter = self._map.bind_to_environ(request.environ)
        try:
            key, uri_values = adapter.match()
        except (NotFound, MethodNotAllowed):
            return None
        return self._operations[key], uri_values


def _scalar(value, shape, wire_name):
    """A querystring value as its shape's type: boto3 sends integers and booleans as text."""
    if value is None:
        return None
    if shape.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise ServiceError("ValidationException", f"{wire_name} must be an integer, got {value}") from None
    if shape.type_name == "boolean":
        return value == "true"
    return value


def _json_or_none(data):
    # botocore's Content-Type on rest-json bodies varies by version; trust the bytes instead.
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None
