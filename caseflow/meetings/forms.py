"""Forms of the meeting pages. They parse input only; the services decide."""


from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.core.forms import validate_plausible_moment
from caseflow.referrals.models import Referral
from workflows.forms import UserChoiceField
from workflows.services import team_caseworkers

from .models import RegisterCheck
from .selectors import cases_for_agenda, referrals_awaiting_screening
from .services import partner_members, team_staff


def _text(label, required=False, help_text="", rows=4):
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": rows}))


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Date and time"), initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        validators=[validate_plausible_moment],
    )
    place = forms.CharField(label=_("Place"), max_length=200)

    def __init__(self, *args, team_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"] = UserChoiceField(label=_("Chair"), queryset=team_staff(team_id))
        self.fields["minute_taker"] = UserChoiceField(label=_("Minute-taker"), queryset=team_staff(team_id))


class MemberInviteForm(forms.Form):
    user = UserChoiceField(label=_("Partner member"), queryset=partner_members())
    authority = forms.CharField(label=_("Authority"), max_length=200,
                                help_text=_('For example "Politiet (DKS)" or "Kriminalforsorgen".'))


class ReferralChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        person = obj.person
        return f"{obj.reference} · {person}" if person else obj.reference


class ItemAddForm(forms.Form):
    def __init__(self, *args, team_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"] = ReferralChoiceField(
            label=_("Referral waiting for the screening decision"),
            queryset=referrals_awaiting_screening(team_id=team_id))


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference} · {obj.person}"


class CaseItemAddForm(forms.Form):
    def __init__(self, *args, team_id=None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"] = CaseChoiceField(
            label=_("Case due for a review or a level change, or with a level-3 plan waiting for approval"),
            queryset=cases_for_agenda(actor=actor, team_id=team_id))


class AttendanceForm(forms.Form):
    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        members = list(meeting.members.all()) if meeting is not None else []
        self.fields["present"] = forms.TypedMultipleChoiceField(
            label=_("Members present"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
            choices=[(m.user_id, f"{m.user.get_full_name() or m.user.get_username()} ({m.authority})")
                     for m in members],
        )


class RegisterCheckForm(forms.Form):
    nothing_found = forms.BooleanField(label=_("Nothing found in our registers"), required=False)
    summary = _text(_("Summary of what our registers hold"),
                    help_text=_("Only what is relevant and necessary for the unit's assessment."))
    legal_basis = forms.ChoiceField(label=_("Legal basis for sharing"), required=False,
                                    choices=[("", "—"), *RegisterCheck.LegalBasis.choices])
    legal_basis_other = forms.CharField(label=_("Other legal basis"), required=False, max_length=300)
    restricted = forms.BooleanField(
        label=_("May not be passed on (må ikke videregives)"), required=False,
        help_text=_("The other partners will not see this check; only the unit's own staff will."))


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Screening outcome"), choices=Referral.Outcome.choices,
                                widget=forms.RadioSelect)
    justification = _text(_("Justification"), required=True)
    dissent = _text(_("Dissent"), rows=2, help_text=_("Who disagreed, and why (optional)."))

    def __init__(self, *args, team_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"] = UserChoiceField(
            label=_("Responsible caseworker"), queryset=team_caseworkers(team_id), required=False,
            help_text=_("For a case at level 2 or 3; empty means you."),
        )


class CaseDiscussionForm(forms.Form):
    note = _text(_("Discussion note"), required=True)
    recommendation = _text(_("The meeting's recommendation"), required=True, rows=2,
                           help_text=_("For example: move to level 3, continue at level 2, approve the plan."))
    dissent = _text(_("Dissent"), rows=2, help_text=_("Who disagreed, and why (optional)."))
