"""django-axes hooks: the user name axes counts and stores (``AXES_USERNAME_CALLABLE``).

Axes keeps the attempted user name in its attempt table. Someone may type a CPR number
into the user-name field; it is stored as ``[redacted]`` (like in the audit trail), so
such attempts from one address are counted together and no CPR number is kept."""

from __future__ import annotations

from django.conf import settings

from caseflow.audit.redaction import cpr_redact

#: Axes' user-name column is this long.
USERNAME_MAX_LENGTH = 255


def axes_username(request, credentials) -> str:
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = request.POST.get(field) if request is not None and hasattr(request, "POST") else None
    if not username:
        return username
    return cpr_redact(str(username))[0][:USERNAME_MAX_LENGTH]
