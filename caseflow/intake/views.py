"""The partner intake API: ``POST /api/v1/referrals/`` answers a receipt and nothing else."""

import re

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from caseflow.core.exceptions import ApplicationError

from .authentication import KEYWORD
from .exceptions import application_error_as_validation_error, intake_exception_handler
from .models import IdempotencyRecord
from .serializers import (
    DetailSerializer,
    ReceiptSerializer,
    ReferralCreateSerializer,
    ReferralErrorsSerializer,
)
from .services import IdempotencyConflict, partner_referral_submit, request_body_hash

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: 1-100 visible ASCII characters (a UUID is a good key).
IDEMPOTENCY_KEY_PATTERN = rf"^[\x21-\x7e]{{1,{IdempotencyRecord.KEY_MAX_LENGTH}}}$"
IDEMPOTENCY_KEY_INVALID = _("The Idempotency-Key must be 1 to 100 visible ASCII characters.")
BODY_TOO_LARGE = _("The request body is too large.")
REPLAYED_HEADER = "Idempotent-Replayed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class NoViewDescriptionMixin:
    """DRF answers ``OPTIONS`` with the view's description, by default its docstring: notes
    for us, not for partners (or anyone, on the public schema view). Nothing is said."""

    def get_view_description(self, html=False):
        return ""


class ReferralCreateView(NoViewDescriptionMixin, APIView):
    """Partners' referrals. Authentication, the rate limit and JSON-only parsing come from
    ``REST_FRAMEWORK`` in settings (token per partner, ``CASEFLOW_API_RATE``)."""

    def get_exception_handler(self):
        return intake_exception_handler

    @extend_schema(
        operation_id="referral_create",
        summary="Submit a concern referral",
        description=(
            "Registers a referral for the partner's receiving team and answers its receipt "
            "(reference number) only. Send an Idempotency-Key so that a retry never creates a "
            "second referral: the same key with the same body answers the first receipt again; "
            "the same key with another body is refused with 409; a replayed answer carries the "
            "header `Idempotent-Replayed: true`.\n\n"
            "Text fields: `maxLength` counts the characters (Unicode code points) as sent, before "
            "leading and trailing whitespace is removed; a required text field must hold a character "
            "that is not whitespace; NUL characters and unpaired surrogates are refused. Person names "
            "are stored in Unicode NFC: control and bidirectional formatting characters in them are "
            "refused, and so is a name whose NFC form is longer than `maxLength` (only characters that "
            "NFC decomposes, such as U+FB2C, can make it longer). Dates are `YYYY-MM-DD`.\n\n"
            "A 400 answers `{\"errors\": {...}}`: a list of messages per field; for `person` its "
            "fields' errors (or a list); for `warning_signs` its items' errors by index (or a list); "
            "errors about no one field under `non_field_errors`; a bad header under its name."
        ),
        request=ReferralCreateSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                pattern=IDEMPOTENCY_KEY_PATTERN, description="1-100 visible ASCII characters, e.g. a UUID.",
            ),
            OpenApiParameter(
                REPLAYED_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, response=[201], enum=["true"],
                description="Present (`true`) when the receipt is that of an earlier request with the same "
                "Idempotency-Key and body; nothing was created.",
            ),
            OpenApiParameter(
                "WWW-Authenticate", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[401], required=True,
                enum=[KEYWORD], description="The authentication scheme to use: `Token`.",
            ),
            OpenApiParameter(
                "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429],
                description="Seconds to wait before trying again.",
            ),
        ],
        responses={
            201: ReceiptSerializer,
            400: OpenApiResponse(ReferralErrorsSerializer, description="Not JSON, or an invalid field or header."),
            401: OpenApiResponse(DetailSerializer, description="Missing, unknown or revoked token."),
            409: OpenApiResponse(DetailSerializer, description="Idempotency-Key reused with another body."),
            429: OpenApiResponse(
                DetailSerializer,
                description="Rate limit exceeded, or too many failed authentications from the address or with the "
                "token prefix (a valid token is still served); see Retry-After.",
            ),
        },
        examples=[
            OpenApiExample(
                "Referral",
                request_only=True,
                value={
                    "referrer_type": "primary_school",
                    "referrer_name": "Fiktiv Lærer",
                    "referrer_contact": "laerer@example.org",
                    "concern_text": "Eleven har delt ekstremistisk materiale i klassen.",
                    "warning_signs": ["extremist_media"],
                    "urgency": "normal",
                    "person": {"first_name": "Fiktiv", "last_name": "Elev", "birth_date": "2010-04-01"},
                },
            ),
            OpenApiExample("Receipt", response_only=True, status_codes=["201"], value={"receipt": "HV-2026-0042"}),
        ],
    )
    def post(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is not None and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [IDEMPOTENCY_KEY_INVALID]})
        try:
            request._request.body  # noqa: B018 - enforces DATA_UPLOAD_MAX_MEMORY_SIZE before parsing
        except RequestDataTooBig as exc:
            raise exceptions.ValidationError({"non_field_errors": [BODY_TOO_LARGE]}) from exc
        body_hash = request_body_hash(request.data)  # raises ParseError (400) if not JSON
        serializer = ReferralCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = partner_referral_submit(
                actor=request.user, organisation=request.auth.organisation,
                idempotency_key=key or "", body_hash=body_hash, **serializer.validated_data,
            )
        except IdempotencyConflict as exc:
            raise Conflict(exc.message) from exc
        except ApplicationError as exc:
            raise application_error_as_validation_error(exc, serializer) from exc
        headers = {REPLAYED_HEADER: "true"} if result.replayed else {}
        return Response({"receipt": result.referral.reference}, status=status.HTTP_201_CREATED, headers=headers)


class PublicSchemaView(NoViewDescriptionMixin, SpectacularAPIView):
    """The OpenAPI schema, public: no token, no rate limit."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

