"""The partner API's error bodies.

400: ``{"errors": {field: [message, ...]}}``: nested objects for nested fields (``person``),
and for a list's items by index (``warning_signs``: ``{"1": [...]}``); errors not about one
field under ``non_field_errors``, at the top or inside a nested object. ``schema.py``
describes exactly this structure. Every other error: ``{"detail": message}``. A body that
is not JSON, or is sent with another content type, is a 400 like any other invalid body.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler

NOT_JSON = _("The request body must be a JSON object (Content-Type: application/json).")
NON_FIELD = "non_field_errors"


def intake_exception_handler(exc, context):
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        exc = exceptions.ValidationError({NON_FIELD: [NOT_JSON]})
    response = exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        errors = response.data
        if isinstance(errors, list):
            errors = {NON_FIELD: errors}
        response.data = {"errors": errors}
    return response


def application_error_as_validation_error(exc, serializer: serializers.Serializer) -> exceptions.ValidationError:
    """A service's ``ApplicationError`` as a 400 on the field of ``serializer`` it names; a
    dotted field (``person.cpr``) nests. A field the request body does not have (a service's
    own argument) is reported under ``non_field_errors`` of the deepest object on its path,
    so the body keeps the structure the schema describes."""
    path = exc.field.split(".") if exc.field else [NON_FIELD]
    known, current = [], serializer
    for name in path:
        fields = current.fields if isinstance(current, serializers.Serializer) else {}
        if name not in fields:
            break
        known.append(name)
        current = fields[name]
    if len(known) < len(path) and isinstance(current, serializers.Serializer):
        known.append(NON_FIELD)
    detail = [str(exc.message)]
    for name in reversed(known):
        detail = {name: detail}
    return exceptions.ValidationError(detail)
