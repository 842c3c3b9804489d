"""Forms of the supervisor's workspace. They parse input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.forms import UserChoiceField

from .selectors import team_caseworkers, team_members

INVALID_CHOICE = _("Choose someone from the list.")


def _reason_field():
    return forms.CharField(
        label=_("Reason"), max_length=500, strip=True,
        help_text=_("Why the work moves (for example holiday, sick leave or workload). It is kept in the audit "
                    "trail."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason for the reassignment.")},
    )


class CaseReassignForm(forms.Form):
    """A new responsible caseworker from the case's own team, and the reason."""

    def __init__(self, *args, team_id=None, exclude_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = team_caseworkers(team_id=team_id)
        if exclude_id is not None:
            queryset = queryset.exclude(pk=exclude_id)
        self.fields["responsible"] = UserChoiceField(
            label=_("New responsible caseworker"), queryset=queryset,
            error_messages={"required": _("Choose the new responsible caseworker."),
                            "invalid_choice": _("Choose a caseworker of the case's team.")},
        )
        self.fields["reason"] = _reason_field()


class TaskReassignForm(forms.Form):
    """Who the task goes to (someone of the team, or a consultant or BBU liaison), and
    the reason. Whether that person may do the task is the policy's answer, given by
    the service."""

    def __init__(self, *args, team_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"] = UserChoiceField(
            label=_("Give the task to"), queryset=team_members(team_id=team_id),
            error_messages={"required": _("Choose who gets the task."), "invalid_choice": INVALID_CHOICE},
        )
        self.fields["reason"] = _reason_field()
