from django import template

from caseflow.audit.purposes import purpose_label as _purpose_label

register = template.Library()


@register.filter
def purpose_label(code):
    """The label of a purpose code (a purpose typed by a user is shown as typed)."""
    return _purpose_label(code) if code else ""
