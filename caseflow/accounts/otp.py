"""Two-factor sign-in (django-otp): enrolment, verification, recovery codes and reset.

Every web user has one TOTP device (an authenticator app) and one static device holding
single-use recovery codes. The sign-in is password first (Django's ``LoginView``), then
:class:`caseflow.accounts.middleware.OTPRequiredMiddleware` sends the user to the second
step until django-otp's session key says this session was verified.

Guessing is throttled by django-otp on each device (a growing delay after each failure,
``OTP_TOTP_THROTTLE_FACTOR`` / ``OTP_STATIC_THROTTLE_FACTOR``); on top of that every refusal
is an ``auth.otp_failed`` audit event. Keys and codes never reach the audit trail or logs.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError

TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"

#: Six digits (spaces allowed) is an authenticator code; anything else is tried as a recovery code.
_TOTP_RE = re.compile(r"^[0-9]{6}$")
_SPACES_RE = re.compile(r"[\s-]+")

CODE_REFUSED = _("The code is not correct. Try again with a new code from your app.")
CODE_THROTTLED = _("Too many wrong codes. Wait a moment before you try again.")
NO_DEVICE = _("You have no confirmed authenticator. Set up two-factor sign-in first.")


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --------------------------------------------------------------------------- enrolment


def enrolment_device(user) -> TOTPDevice:
    """The user's unconfirmed TOTP device, created on first call and reused after (so the
    QR code does not change when the page is reloaded)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URL as an inline SVG QR code (no images, no scripts)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def totp_text_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def _normalise(code: str) -> str:
    return _SPACES_RE.sub("", str(code or "")).lower()


def otp_enrol_confirm(*, request, code: str) -> list[str]:
    """Confirm the enrolment device with a code from the app: the device becomes the
    user's authenticator (older ones are removed), the session is verified with it and
    fresh recovery codes are created. Returns the recovery codes (shown once)."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        raise ApplicationError(NO_DEVICE, field="code")
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        audit_record(actor=user, action=AuditAction.OTP_FAILED, target=user,
                     extra={"step": "enrolment", "throttled": True})
        raise ApplicationError(CODE_THROTTLED, field="code")
    token = _normalise(code)
    verified = bool(_TOTP_RE.match(token)) and django_otp.verify_token(user, device.persistent_id, token)
    if not verified:
        audit_record(actor=user, action=AuditAction.OTP_FAILED, target=user, extra={"step": "enrolment"})
        raise ApplicationError(CODE_REFUSED, field="code")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_record(actor=user, action=AuditAction.OTP_ENROLLED, target=user)
        audit_record(actor=user, action=AuditAction.OTP_RECOVERY_CODES_CREATED, target=user,
                     extra={"count": len(codes)})
    _session_verified(request, device)
    return codes


def _recovery_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = []
    while len(codes) < settings.CASEFLOW_OTP_RECOVERY_CODES:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in codes)
    return codes


def otp_recovery_codes_renew(*, request) -> list[str]:
    """New recovery codes for a verified user; the old ones stop working."""
    user = request.user
    if not user.is_verified():
        raise ApplicationError(NO_DEVICE)
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(actor=user, action=AuditAction.OTP_RECOVERY_CODES_CREATED, target=user,
                     extra={"count": len(codes), "renewed": True})
    return codes


# --------------------------------------------------------------------------- the second step


@dataclass(frozen=True)
class Verification:
    device: object
    recovery_code_used: bool
    recovery_codes_left: int


def otp_verify(*, request, code: str) -> Verification:
    """Check the second factor: a 6-digit code from the app, or a recovery code (used up).
    On success the session is verified (and its key rotated); a refusal is audited and
    raises ``ApplicationError`` on ``code``."""
    user = request.user
    token = _normalise(code)
    if _TOTP_RE.match(token):
        device = confirmed_totp_device(user)
        recovery = False
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        recovery = True
    if device is None:
        audit_record(actor=user, action=AuditAction.OTP_FAILED, target=user,
                     extra={"step": "verify", "recovery_code": recovery, "no_device": True})
        raise ApplicationError(CODE_REFUSED, field="code")
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        audit_record(actor=user, action=AuditAction.OTP_FAILED, target=user,
                     extra={"step": "verify", "recovery_code": recovery, "throttled": True})
        raise ApplicationError(CODE_THROTTLED, field="code")
    verified = django_otp.verify_token(user, device.persistent_id, token) if token else None
    if verified is None:
        audit_record(actor=user, action=AuditAction.OTP_FAILED, target=user,
                     extra={"step": "verify", "recovery_code": recovery})
        raise ApplicationError(CODE_REFUSED, field="code")
    left = recovery_codes_left(user)
    with transaction.atomic():
        if recovery:
            audit_record(actor=user, action=AuditAction.OTP_RECOVERY_CODE_USED, target=user,
                         extra={"codes_left": left})
        audit_record(actor=user, action=AuditAction.OTP_VERIFIED, target=user,
                     extra={"recovery_code": recovery})
    _session_verified(request, verified)
    return Verification(device=verified, recovery_code_used=recovery, recovery_codes_left=left)


def _session_verified(request, device) -> None:
    """Mark the session verified with ``device``; a new session key for the new privilege."""
    request.session.cycle_key()
    django_otp.login(request, device)


# --------------------------------------------------------------------------- reset


def otp_devices_remove(*, actor, user, reason: str = "") -> int:
    """Remove every device of ``user`` (authenticator and recovery codes): at the next
    request they must enrol again. Returns how many devices were removed. Who may is the
    policy's decision: call ``permissions.services.second_factor_reset``."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[1].get("otp_totp.TOTPDevice", 0)
        removed += StaticDevice.objects.filter(user=user).delete()[1].get("otp_static.StaticDevice", 0)
        audit_record(actor=actor, action=AuditAction.OTP_RESET, target=user, reason=reason,
                     extra={"devices_removed": removed})
    return removed
