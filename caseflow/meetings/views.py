"""Meeting pages: the list, planning a meeting, the meeting page (agenda, members,
register checks, and the staff's actions on it), a partner's register check, the
decision on an item (a referral's screening outcome or a case's discussion) and the
minutes PDF. Each parses input and calls one service or selector."""

import abc

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView

from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from permissions.policy import Feature, may_use

from . import forms, selectors, services
from .minutes import minutes_filename, minutes_pdf
from .models import Meeting


def _form_error(form, exc: ApplicationError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class MeetingListView(LoginRequiredMixin, ListView):
    template_name = "meetings/meeting_list.html"
    context_object_name = "meetings"
    paginate_by = 50

    def get_queryset(self):
        return selectors.meeting_list_for(actor=self.request.user)

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(may_plan=may_use(user, Feature.MEETING_PLANNING), **kwargs)
        selectors.meeting_list_record(actor=user, meetings=context["meetings"])
        return context


class MeetingCreateView(LoginRequiredMixin, FormView):
    template_name = "meetings/meeting_form.html"
    form_class = forms.MeetingForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not may_use(user, Feature.MEETING_PLANNING):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team_id": self.request.user.team_id}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(actor=self.request.user, starts_at=data["starts_at"],
                                              place=data["place"], chair=data["chair"],
                                              minute_taker=data["minute_taker"])
        except ApplicationError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The meeting is planned."))
        return redirect("meetings:detail", pk=meeting.pk)


class MeetingDetailView(LoginRequiredMixin, View):
    """GET: the meeting page. POST ``action``: invite / add_item / send / hold / approve
    (the staff's and the chair's actions; each one service call)."""

    template_name = "meetings/meeting_detail.html"
    FORM_ACTIONS = {"invite": "invite_form", "add_item": "item_form", "add_case": "case_form",
                    "hold": "attendance_form"}

    def get(self, request, pk):
        meeting = selectors.meeting_get_for(actor=request.user, meeting_id=pk)
        return self.render_page(request, meeting)

    def forms_for(self, meeting, data=None, action=None):
        def bound(name):
            return data if action == name else None

        return {
            "invite_form": forms.MemberInviteForm(bound("invite"), prefix="invite"),
            "item_form": forms.ItemAddForm(bound("add_item"), prefix="item", team_id=meeting.team_id),
            "case_form": forms.CaseItemAddForm(bound("add_case"), prefix="case", team_id=meeting.team_id,
                                               actor=self.request.user),
            "attendance_form": forms.AttendanceForm(bound("hold"), prefix="hold", meeting=meeting),
        }

    def render_page(self, request, meeting, page_forms=None, error=None, status=200):
        staff = selectors.viewer_is_staff(request.user, meeting)
        items = list(meeting.items.all())
        context = {
            "meeting": meeting,
            "items": items,
            "members": list(meeting.members.all()),
            "is_staff": staff,
            "is_chair": staff and meeting.chair_id == request.user.pk,
            "editable": staff and meeting.status in (Meeting.Status.PLANNED, Meeting.Status.AGENDA_SENT),
            "may_record_checks": (not staff) and meeting.status in selectors.PARTNER_VISIBLE_STATUSES,
            "all_decided": all(item.decided_at is not None for item in items),
            "minutes_ready": staff and meeting.status in (Meeting.Status.HELD, Meeting.Status.MINUTES_APPROVED),
            "action_error": error,
            "outcome_labels": dict(Referral.Outcome.choices),
            "Status": Meeting.Status,
        }
        if staff:
            context.update(page_forms or self.forms_for(meeting))
        return render(request, self.template_name, context, status=status)

    def post(self, request, pk):
        user = request.user
        meeting = selectors.meeting_reachable(actor=user, meeting_id=pk)
        if not selectors.viewer_is_staff(user, meeting):
            raise PermissionDenied
        action = request.POST.get("action", "")
        page_forms = self.forms_for(meeting, request.POST, action)
        form = page_forms.get(self.FORM_ACTIONS.get(action, ""))
        try:
            if form is not None and not form.is_valid():
                raise ApplicationError(_("Please correct the fields marked below. Nothing has been saved."))
            done = self.perform(user, meeting, action, form)
        except ApplicationError as exc:
            if form is not None and form.is_bound and exc.field:
                _form_error(form, exc)
            meeting = selectors.meeting_get_for(actor=user, meeting_id=pk)
            page_forms = {**self.forms_for(meeting), **({self.FORM_ACTIONS[action]: form} if form else {})}
            return self.render_page(request, meeting, page_forms, error=exc.message, status=200)
        messages.success(request, done)
        return redirect("meetings:detail", pk=meeting.pk)

    def perform(self, user, meeting, action, form):
        data = form.cleaned_data if form is not None else {}
        if action == "invite":
            services.meeting_member_invite(actor=user, meeting=meeting, user=data["user"],
                                           authority=data["authority"])
            return _("The member is invited.")
        if action == "add_item":
            services.meeting_item_add(actor=user, meeting=meeting, referral=data["referral"])
            return _("The referral is on the agenda.")
        if action == "add_case":
            services.meeting_case_add(actor=user, meeting=meeting, case=data["case"])
            return _("The case is on the agenda.")
        if action == "send":
            services.meeting_agenda_send(actor=user, meeting=meeting)
            return _("The agenda is sent to the invited members.")
        if action == "hold":
            services.meeting_hold(actor=user, meeting=meeting, present_user_ids=data["present"])
            return _("The members present are recorded; record the decision on each item.")
        if action == "approve":
            services.meeting_minutes_approve(actor=user, meeting=meeting)
            return _("The minutes are approved; the partner members' access to the items has ended.")
        raise ApplicationError(_("Unknown action."))


class ItemFormView(LoginRequiredMixin, FormView, metaclass=abc.ABCMeta):
    """A form about one agenda item of a meeting the user may see (else 404)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.item = selectors.agenda_item_get_for(actor=request.user, item_id=kwargs["pk"])
        self.meeting = self.item.meeting
        self.check_allowed(request.user)
        return super().dispatch(request, *args, **kwargs)

    @abc.abstractmethod
    def check_allowed(self, user):
        """Raise PermissionDenied unless ``user`` may use this form on the item."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(item=self.item, meeting=self.meeting,
                                        is_staff=selectors.viewer_is_staff(self.request.user, self.meeting),
                                        **kwargs)

    def form_valid(self, form):
        try:
            self.perform(form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect("meetings:detail", pk=self.meeting.pk)


class RegisterCheckView(ItemFormView):
    template_name = "meetings/registercheck_form.html"
    form_class = forms.RegisterCheckForm

    def check_allowed(self, user):
        if selectors.viewer_is_staff(user, self.meeting):
            raise PermissionDenied  # staff read the checks; partners record them

    @property
    def success_message(self):
        return _("Your register check is recorded.")

    def get_initial(self):
        own = next((check for check in self.item.visible_checks if check.member_id == self.request.user.pk), None)
        if own is None:
            return {}
        return {"nothing_found": own.nothing_found, "summary": own.summary, "legal_basis": own.legal_basis,
                "legal_basis_other": own.legal_basis_other, "restricted": own.restricted}

    def perform(self, data):
        services.register_check_record(
            actor=self.request.user, item=self.item, nothing_found=data["nothing_found"], summary=data["summary"],
            legal_basis=data["legal_basis"], legal_basis_other=data["legal_basis_other"],
            restricted=data["restricted"])


class ItemDecideView(ItemFormView):
    """A referral's screening outcome, or a case's discussion note and recommendation."""

    template_name = "meetings/agendaitem_decide.html"

    def check_allowed(self, user):
        if not selectors.viewer_is_staff(user, self.meeting):
            raise PermissionDenied

    def get_form_class(self):
        return forms.CaseDiscussionForm if self.item.is_case else forms.DecisionForm

    @property
    def success_message(self):
        if self.item.is_case:
            return _("The meeting's discussion of the case is recorded.")
        return _("The decision is recorded and the referral's screening moves on.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if not self.item.is_case:
            kwargs["team_id"] = self.meeting.team_id
        return kwargs

    def perform(self, data):
        if self.item.is_case:
            services.meeting_case_discuss(actor=self.request.user, item=self.item, note=data["note"],
                                          recommendation=data["recommendation"], dissent=data["dissent"])
            return
        services.meeting_item_decide(actor=self.request.user, item=self.item, outcome=data["outcome"],
                                     justification=data["justification"], dissent=data["dissent"],
                                     responsible=data.get("responsible"))


class MeetingMinutesView(LoginRequiredMixin, View):
    """The minutes as a PDF attachment: the team's staff only (404 for everyone else,
    partners included), audited, never cached."""

    def get(self, request, pk):
        try:
            meeting = selectors.meeting_minutes_for(actor=request.user, meeting_id=pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("meetings:detail", pk=pk)
        response = HttpResponse(minutes_pdf(meeting), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{minutes_filename(meeting)}"'
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
