"""The second step of signing in, enrolment of an authenticator and the recovery codes.

The pages render without the navigation drawer (``nav`` empty) until the session is
verified: nothing behind the second factor is linked from them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import ngettext
from django.views import View

from caseflow.core.exceptions import ApplicationError

from . import otp
from .forms import OTPCodeForm, OTPEnrolForm

#: The recovery codes wait here (once) between enrolment and the page that shows them.
RECOVERY_CODES_SESSION_KEY = "caseflow_recovery_codes"


def _next_url(request) -> str:
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _is_verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def _form_error(form, exc: ApplicationError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class _SecondStepView(LoginRequiredMixin, View):
    template_name = ""

    def render_page(self, request, status=200, **context):
        context.setdefault("next", _next_url(request))
        if not _is_verified(request.user):
            context["nav"] = {}
        return render(request, self.template_name, context, status=status)


class OTPVerifyView(_SecondStepView):
    """Enter a code from the app (or a recovery code)."""

    template_name = "accounts/otp_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if _is_verified(request.user):
                return redirect(_next_url(request))
            if not otp.has_confirmed_device(request.user):
                return redirect("accounts:otp_enrol")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_page(request, form=OTPCodeForm())

    def post(self, request):
        form = OTPCodeForm(request.POST)
        if form.is_valid():
            try:
                result = otp.otp_verify(request=request, code=form.cleaned_data["code"])
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                if result.recovery_code_used:
                    messages.warning(request, ngettext(
                        "You signed in with a recovery code. %(count)d code is left.",
                        "You signed in with a recovery code. %(count)d codes are left.",
                        result.recovery_codes_left) % {"count": result.recovery_codes_left})
                return redirect(_next_url(request))
        return self.render_page(request, status=400, form=form)


class OTPEnrolView(_SecondStepView):
    """Set up the authenticator: QR code and key, confirmed with the first code."""

    template_name = "accounts/otp_enrol.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and otp.has_confirmed_device(request.user):
            return redirect(_next_url(request) if _is_verified(request.user) else "accounts:otp_verify")
        return super().dispatch(request, *args, **kwargs)

    def _page(self, request, form, status=200):
        device = otp.enrolment_device(request.user)
        return self.render_page(request, status=status, form=form, qr_svg=otp.totp_qr_svg(device),
                                text_key=otp.totp_text_key(device))

    def get(self, request):
        return self._page(request, OTPEnrolForm())

    def post(self, request):
        form = OTPEnrolForm(request.POST)
        if form.is_valid():
            try:
                codes = otp.otp_enrol_confirm(request=request, code=form.cleaned_data["code"])
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                request.session[RECOVERY_CODES_SESSION_KEY] = codes
                query = urlencode({REDIRECT_FIELD_NAME: _next_url(request)})
                return redirect(f"{resolve_url('accounts:otp_recovery_codes')}?{query}")
        return self._page(request, form, status=400)


class RecoveryCodesView(LoginRequiredMixin, View):
    """Shows new recovery codes once (after enrolment or renewal); POST renews them."""

    template_name = "accounts/recovery_codes.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not _is_verified(request.user) and settings.CASEFLOW_OTP_REQUIRED:
            return redirect("accounts:otp_verify")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
        return render(request, self.template_name, {
            "codes": codes, "codes_left": otp.recovery_codes_left(request.user), "next": _next_url(request)})

    def post(self, request):
        try:
            codes = otp.otp_recovery_codes_renew(request=request)
        except ApplicationError:
            return redirect("accounts:otp_verify")
        request.session[RECOVERY_CODES_SESSION_KEY] = codes
        return redirect("accounts:otp_recovery_codes")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (``AXES_LOCKOUT_CALLABLE``): a translated page, 429."""
    return render(request, "accounts/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": settings.CASEFLOW_LOGIN_COOLOFF_MINUTES,
    }, status=429)
