"""Forms of the InterventionFlow's task pages. They parse input only; the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.cases.models import Consent
from caseflow.interventions.models import Intervention, InterventionReview
from permissions.policy import users_who_may_provide

from .forms import UserChoiceField

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label, required=True, initial=None):
    return forms.DateField(label=label, required=required, widget=DATE_WIDGET, initial=initial)


def _text(label, required=False, help_text="", rows=4):
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": rows}))


def _end_reason(required=False):
    return forms.ChoiceField(label=_("Why does the intervention end?"), required=required,
                             choices=[("", "—"), *Intervention.EndReason.choices])


class ConsentForm(forms.Form):
    given_by = forms.ChoiceField(label=_("Who gave the consent?"), choices=Consent.GivenBy.choices,
                                 widget=forms.RadioSelect)
    given_by_name = forms.CharField(label=_("Name of the custody holder"), required=False, max_length=200)
    given_on = _date(_("Given on"), initial=timezone.localdate)
    expires_on = _date(_("Expires on"), required=False)
    note = _text(_("Note"))


class MatchForm(forms.Form):
    provider = UserChoiceField(label=_("Provider"), queryset=get_user_model().objects.none())
    partner_roles = _text(
        _("Partner roles"),
        help_text=_("Exit programmes: which partner (police/PET, Kriminalforsorgen, jobcentre ...) owns which "
                    "element."),
    )

    def __init__(self, *args, intervention, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = users_who_may_provide(intervention.provider_role).order_by(
            "first_name", "last_name", "pk")
        self.fields["partner_roles"].initial = intervention.partner_roles
        if intervention.kind != Intervention.Kind.EXIT_PROGRAMME:
            del self.fields["partner_roles"]


class AnswerForm(forms.Form):
    ACCEPT, DECLINE = "accept", "decline"

    answer = forms.ChoiceField(label=_("Your answer"), widget=forms.RadioSelect,
                               choices=[(ACCEPT, _("I accept the intervention")),
                                        (DECLINE, _("I decline the intervention"))])
    goals = _text(_("Goals agreed at the start meeting"), help_text=_("Required when you accept."))
    started_on = _date(_("Start meeting held on"), required=False, initial=timezone.localdate)
    reason = _text(_("Why do you decline?"), help_text=_("Required when you decline."), rows=2)

    def __init__(self, *args, intervention, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goals"].initial = intervention.goals

    def clean(self):
        data = super().clean()
        if data.get("answer") == self.ACCEPT and not data.get("started_on"):
            self.add_error("started_on", _("Give the date of the start meeting."))
        return data


class FollowForm(forms.Form):
    PROVIDER_STOPPED, END = "provider_stopped", "end"

    action = forms.ChoiceField(label=_("What happened?"), widget=forms.RadioSelect,
                               choices=[(PROVIDER_STOPPED, _("The provider stopped: find a new provider")),
                                        (END, _("End the intervention"))])
    end_reason = _end_reason()
    note = _text(_("Note"), rows=2)


class ReviewForm(forms.Form):
    goals_status = forms.ChoiceField(label=_("Goals"), choices=InterventionReview.GoalsStatus.choices,
                                     widget=forms.RadioSelect)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=InterventionReview.Outcome.choices,
                                widget=forms.RadioSelect)
    end_reason = _end_reason()
    note = _text(_("Note"))


class CarryOutForm(forms.Form):
    started_on = _date(_("Started on"), initial=timezone.localdate)


class ConcludeForm(forms.Form):
    end_reason = _end_reason(required=True)
    ended_on = _date(_("Ended on"), initial=timezone.localdate)
