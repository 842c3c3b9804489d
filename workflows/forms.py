"""Forms of the workflow task pages. They parse input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from caseflow.referrals.models import Referral

from .services import AssessmentOutcome, bbu_liaisons, team_caseworkers

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label, required=True):
    return forms.TypedChoiceField(label=label, choices=YES_NO, coerce=lambda value: value == "yes",
                                  widget=forms.RadioSelect, required=required, empty_value=None)


def _text(label, required=False, help_text=""):
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class AcuteTriageForm(forms.Form):
    police_alerted = _yes_no(_("Risk to life or an imminent crime: were the police alerted (114/112)?"))
    note = _text(_("Note"), help_text=_("Required when the police were alerted: what they were told and when."))


class AssessmentForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome of the initial assessment"), choices=AssessmentOutcome.choices,
                                widget=forms.RadioSelect)
    note = _text(_("Note"), help_text=_("Required when the referral goes to another municipality."))

    def __init__(self, *args, is_minor=False, **kwargs):
        super().__init__(*args, **kwargs)
        if is_minor:
            self.fields["bbu_contact"] = UserChoiceField(label=_("BBU contact"), queryset=bbu_liaisons(),
                                                         required=True)
            self.fields["report_needed"] = _yes_no(_("Underretning assessed: is a report to BBU needed?"))
            self.fields["report_justification"] = _text(_("Justification of the underretning assessment"),
                                                        required=True)


class InformationForm(forms.Form):
    sufficient = forms.TypedChoiceField(
        label=_("Information"), widget=forms.RadioSelect, coerce=lambda value: value == "yes", empty_value=None,
        choices=[("yes", _("Enough information: to the coordination unit")),
                 ("no", _("Shelve: too little information"))],
    )
    note = _text(_("Note"), help_text=_("Required when the referral is shelved."))


class ScreeningForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Screening outcome"), choices=Referral.Outcome.choices,
                                widget=forms.RadioSelect)
    justification = _text(_("Justification"), required=True)
    members_present = forms.CharField(label=_("Members present"), max_length=1000,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, team_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"] = UserChoiceField(
            label=_("Responsible caseworker"), queryset=team_caseworkers(team_id), required=False,
            help_text=_("For a case at level 2 or 3; empty means you."),
        )


class CosignForm(forms.Form):
    approved = forms.TypedChoiceField(
        label=_("Co-signature"), widget=forms.RadioSelect, coerce=lambda value: value == "yes", empty_value=None,
        choices=[("yes", _("Co-sign: the outcome takes effect")),
                 ("no", _("Refuse: back to the screening"))],
    )
    justification = _text(_("Justification"), required=True)


class BbuAcknowledgeForm(forms.Form):
    assessment = _text(_("Receipt and BBU's assessment of the report"), required=True)
