"""The partner API's request and response bodies.

Types are strict (JSON strings for text, JSON booleans for flags): a partner's mistake
should be refused, not guessed at. Text is kept as sent (HTML is just text; templates
escape it); DRF refuses NUL and lone surrogate characters, which PostgreSQL cannot store.
"""

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


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)

    default_error_messages = {"not_a_string": NOT_A_STRING}


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


class PersonSerializer(serializers.Serializer):
    """What the partner knows about the person of concern; everything is optional."""

    cpr = StrictCharField(
        required=False, allow_blank=True, max_length=CPR_MAX_LENGTH,
        help_text=_("CPR number, DDMMYY-SSSS or DDMMYYSSSS."),
    )
    first_name = StrictCharField(required=False, allow_blank=True, max_length=PERSON_NAME_MAX_LENGTH)
    last_name = StrictCharField(required=False, allow_blank=True, max_length=PERSON_NAME_MAX_LENGTH)
    birth_date = serializers.DateField(required=False, allow_null=True, input_formats=["iso-8601"])


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


class ErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        help_text=_("Messages by field name (nested for nested fields); other errors under non_field_errors."),
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
