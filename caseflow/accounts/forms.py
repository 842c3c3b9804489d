from django import forms
from django.utils.translation import gettext_lazy as _


class OTPCodeForm(forms.Form):
    """The second step: a code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "inputmode": "text", "spellcheck": "false"}),
        error_messages={"required": _("Enter the code."),
                        "max_length": _("That is not a code from your app or a recovery code.")},
    )


class OTPEnrolForm(forms.Form):
    """Enrolment: the first code the new authenticator shows."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
        error_messages={"required": _("Enter the six-digit code from the app."),
                        "max_length": _("Enter the six-digit code from the app.")},
    )
