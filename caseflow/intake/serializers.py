"""The partner API's request and response bodies.

Types are strict (JSON strings for text, JSON booleans for flags, ``YYYY-MM-DD`` for
dates): a partner's mistake should be refused, not guessed at. Text is kept as sent (HTML
is just text; templates escape it) but for leading and trailing whitespace, which is
removed. DRF refuses NUL and lone surrogate characters, which PostgreSQL cannot store.

What the OpenAPI schema says about text is what the server checks (``schema.py`` maps
:class:`StrictCharField` from the same attributes): ``maxLength`` counts the characters
(code points) as sent, before whitespace is removed, so a value the schema allows is never
too long and one it refuses is never accepted; a required text field (``minLength`` 1)
must also hold a character that is not whitespace, which ``pattern`` says with exactly the
characters Python's ``str.strip()`` removes.
"""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from caseflow.referrals.models import Referral

REFERRER_NAME_MAX_LENGTH = 200
REFERRER_CONTACT_MAX_LENGTH = 255
PERSON_NAME_MAX_LENGTH = 120
CPR_MAX_LENGTH = 20
WARNING_SIGNS_MAX = 20

NOT_A_STRING = _("Not a valid string.")
NOT_A_BOOLEAN = _("Must be true or false.")

#: The only date form accepted (and the schema's ``format: date``): RFC 3339 full-date.
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _character_class(code_points) -> str:
    """``\\uXXXX`` escapes and ranges, read alike by ECMA-262 (JSON Schema) and Python."""
    points = sorted(code_points)
    runs, start, end = [], points[0], points[0]
    for point in points[1:]:
        if point == end + 1:
            end = point
            continue
        runs.append((start, end))
        start = end = point
    runs.append((start, end))
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in runs)


#: What ``str.strip()`` removes (and DRF's blank check treats as nothing), as a regex class.
WHITESPACE_CLASS = _character_class(ord(c) for c in map(chr, range(0x3001)) if c.isspace())  # none above U+3000
#: Text holding at least one character that is not whitespace (unanchored, as JSON Schema's
#: ``pattern`` is).
REQUIRED_TEXT_PATTERN = f"[^{WHITESPACE_CLASS}]"


class StrictCharField(serializers.CharField):
    """Text as a JSON string. ``max_length`` counts the value as sent, not after whitespace
    is stripped, so that it means what the schema's ``maxLength`` means."""

    default_error_messages = {"not_a_string": NOT_A_STRING}

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"not_a_boolean": NOT_A_BOOLEAN}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("not_a_boolean")
        return data


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A date as ``YYYY-MM-DD`` only (the schema's ``format: date``). DRF's ISO 8601 parsing
    also takes ``20100401``, ``2010-4-1``, week dates and non-ASCII digits."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["iso-8601"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class PersonSerializer(serializers.Serializer):
    """What the partner knows about the person of concern; everything is optional."""

    cpr = StrictCharField(
        required=False, allow_blank=True, max_length=CPR_MAX_LENGTH,
        help_text=_("CPR number, DDMMYY-SSSS or DDMMYYSSSS."),
    )
    first_name = StrictCharField(required=False, allow_blank=True, max_length=PERSON_NAME_MAX_LENGTH)
    last_name = StrictCharField(required=False, allow_blank=True, max_length=PERSON_NAME_MAX_LENGTH)
    birth_date = StrictDateField(required=False, allow_null=True)


class ReferralCreateSerializer(serializers.Serializer):
    channel = StrictChoiceField(choices=Referral.Channel.choices, default=Referral.Channel.PARTNER_SYSTEM)
    referrer_type = StrictChoiceField(choices=Referral.ReferrerType.choices)
    referrer_name = StrictCharField(required=False, allow_blank=True, default="",
                                    max_length=REFERRER_NAME_MAX_LENGTH)
    referrer_contact = StrictCharField(required=False, allow_blank=True, default="",
                                       max_length=REFERRER_CONTACT_MAX_LENGTH)
    referrer_wishes_anonymity = StrictBooleanField(required=False, default=False)
    is_anonymous = StrictBooleanField(required=False, default=False)
    concern_text = StrictCharField(max_length=Referral.CONCERN_MAX_LENGTH)
    warning_signs = serializers.ListField(
        child=StrictChoiceField(choices=Referral.WarningSign.choices),
        required=False, default=list, max_length=WARNING_SIGNS_MAX,
    )
    urgency = StrictChoiceField(choices=Referral.Urgency.choices, default=Referral.Urgency.NORMAL)
    person = PersonSerializer(required=False, allow_null=True, default=None)


class ReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField(help_text=_("The referral's reference number."))


class ReferralErrorsSerializer(serializers.Serializer):
    """The 400 body of ``POST /api/v1/referrals/``; its schema (the field errors' structure,
    from :class:`ReferralCreateSerializer`) is built in ``schema.py``."""

    errors = serializers.DictField(
        help_text=_("Messages by field name (nested for nested fields); other errors under non_field_errors."),
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
