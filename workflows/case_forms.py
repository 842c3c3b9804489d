"""Forms of the CaseFlow's task pages. They parse input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from caseflow.cases.models import Case, Consent
from caseflow.interventions.models import Intervention

from . import case_services as services

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _text(label, required=False, help_text=""):
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class ClarificationForm(forms.Form):
    conversation = _text(_("The concern conversation"), required=True,
                         help_text=_("Who took part, what was said, and what was agreed."))
    consent_given_by = forms.ChoiceField(
        label=_("Consent to the case work given by"), required=False,
        choices=[("", _("No consent (a minor's justified exception)"))] + list(Consent.GivenBy.choices),
    )
    consent_given_by_name = forms.CharField(label=_("Name of the custody holder"), required=False, max_length=200)
    consent_given_on = forms.DateField(label=_("Consent given on"), required=False,
                                       widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    exception_justification = _text(
        _("Why the custody holders' consent is not obtained"),
        help_text=_("Only for a minor, e.g. a parent is the risk; note BBU's agreement."),
    )


class PlanForm(forms.Form):
    goals = _text(_("Goals"), required=True)
    interventions = forms.MultipleChoiceField(
        label=_("Interventions to propose"), required=False, choices=Intervention.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A mentor, a coach or an exit programme needs a valid consent to the case work."),
    )


class SignForm(forms.Form):
    decision = forms.TypedChoiceField(
        label=_("Decision"), widget=forms.RadioSelect, coerce=lambda value: value == "yes", empty_value=None,
        choices=[("yes", _("Approve")), ("no", _("Refuse: back to the caseworker"))],
    )
    justification = _text(_("Justification"), required=True)


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome of the review"), widget=forms.RadioSelect,
        choices=[(services.REVIEW_CONTINUE, _("Continue")),
                 (services.REVIEW_LEVEL_CHANGE, _("Change the level")),
                 (services.REVIEW_CLOSURE, _("Propose closure"))],
    )
    note = _text(_("Note and justification"), required=True)
    level = forms.TypedChoiceField(label=_("New level"), required=False, coerce=int, empty_value=None,
                                   choices=[("", "—")] + list(Case.Level.choices))
    closure_reason = forms.ChoiceField(label=_("Closure reason"), required=False,
                                       choices=[("", "—")] + list(Case.ClosureReason.choices))


class NoteForm(forms.Form):
    note = _text(_("Note"), required=True)
