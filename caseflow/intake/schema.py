"""drf-spectacular extensions of the partner API's OpenAPI schema (loaded in
``IntakeConfig.ready``): the partner token, text fields as the server checks them, and the
400 body's field errors as the server returns them."""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from .authentication import KEYWORD
from .exceptions import NON_FIELD
from .serializers import REQUIRED_TEXT_PATTERN, ReferralCreateSerializer, ReferralErrorsSerializer


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "caseflow.intake.authentication.PartnerTokenAuthentication"
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f'Token-based authentication with required prefix "{KEYWORD}": send '
                f"`Authorization: {KEYWORD} <token>` (the word `{KEYWORD}`, a space, then the token; "
                "without the prefix the token is refused with 401). One active token per partner; "
                "issuing a new one revokes the old."
            ),
        }


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """``maxLength`` is the server's ``max_length`` (counted as sent); a required text field
    (blank not allowed) has ``minLength`` 1 and a ``pattern`` asking for a character that
    is not whitespace, as the server's blank check does."""

    target_class = "caseflow.intake.serializers.StrictCharField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if self.target.max_length is not None:
            schema["maxLength"] = self.target.max_length
        if not self.target.allow_blank:
            schema["minLength"] = max(schema.get("minLength", 0), 1)
            schema["pattern"] = REQUIRED_TEXT_PATTERN
        return schema


MESSAGES_COMPONENT = "ErrorMessages"
_MESSAGES = {"$ref": f"#/components/schemas/{MESSAGES_COMPONENT}"}


def field_errors_schema(serializer: serializers.Serializer, *, extra_fields=()) -> dict:
    """The errors object the server answers for ``serializer``: per field a list of
    messages; for a nested object a list (a refusal of the whole object) or that object's
    errors; for a list field a list or its items' errors keyed by index."""
    properties = {NON_FIELD: _MESSAGES}
    properties.update({name: _MESSAGES for name in extra_fields})
    for name, field in serializer.fields.items():
        properties[name] = _field_errors_schema(field)
    return {"type": "object", "properties": properties, "additionalProperties": False, "minProperties": 1}


def _field_errors_schema(field) -> dict:
    if isinstance(field, serializers.Serializer):
        return {"oneOf": [_MESSAGES, field_errors_schema(field)]}
    if isinstance(field, serializers.ListField):
        return {"oneOf": [_MESSAGES, {
            "type": "object",
            "description": "Errors of the list's items, by index (0 is the first item).",
            "additionalProperties": _field_errors_schema(field.child),
            "minProperties": 1,
        }]}
    return _MESSAGES


class ReferralErrorsSchema(OpenApiSerializerExtension):
    target_class = "caseflow.intake.serializers.ReferralErrorsSerializer"

    def map_serializer(self, auto_schema, direction):
        from .views import IDEMPOTENCY_HEADER

        auto_schema.registry.register_on_missing(ResolvedComponent(
            name=MESSAGES_COMPONENT, type=ResolvedComponent.SCHEMA, object=MESSAGES_COMPONENT,
            schema={"type": "array", "items": {"type": "string"}, "minItems": 1},
        ))
        errors = field_errors_schema(ReferralCreateSerializer(), extra_fields=[IDEMPOTENCY_HEADER])
        errors["description"] = str(ReferralErrorsSerializer().fields["errors"].help_text)
        return {
            "type": "object",
            "properties": {"errors": errors},
            "required": ["errors"],
            "additionalProperties": False,
        }
