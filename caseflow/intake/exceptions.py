"""The partner API's error bodies.

400: ``{"errors": {field: [message, ...]}}`` (nested objects for nested fields; errors
not about one field under ``non_field_errors``). Every other error: ``{"detail": message}``.
A body that is not JSON, or is sent with another content type, is a 400 like any other
invalid body.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
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


def application_error_as_validation_error(exc) -> exceptions.ValidationError:
    """A service's ``ApplicationError`` as a 400; a dotted field (``person.cpr``) nests."""
    errors = [str(exc.message)]
    if not exc.field:
        return exceptions.ValidationError({NON_FIELD: errors})
    *parents, leaf = exc.field.split(".")
    detail = {leaf: errors}
    for parent in reversed(parents):
        detail = {parent: detail}
    return exceptions.ValidationError(detail)
