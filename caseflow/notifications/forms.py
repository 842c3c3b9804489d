from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference


class NotificationPreferenceForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("E-mail notifications"),
        choices=NotificationPreference.Mode.choices,
        widget=forms.RadioSelect,
        help_text=_("Emergency accesses and reports to BBU are always sent at once."),
        error_messages={"required": _("Choose how you want to be notified."),
                        "invalid_choice": _("Choose how you want to be notified.")},
    )
