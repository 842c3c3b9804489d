"""Access-request pages: the team's list, finding the person and registering a request,
the request with its file and the decisions on its items, the delay letter, the
exports and completing the request. Each parses input and calls one service or selector.

Who (the policy decides, ``permissions.policy``): the team's caseworkers and supervisors,
about people whose cases or referrals they may view. Everyone else gets 403 on the list
and the registration, and 404 (``access.denied``) on a request or a person."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from caseflow.core.exceptions import ApplicationError
from caseflow.people.forms import PersonSearchForm

from . import forms, selectors, services
from .deadlines import deadline_of
from .file import PROTECTED_LABELS
from .models import AccessRequest, ItemKind


def _form_error(form, exc: ApplicationError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class StaffMixin(LoginRequiredMixin):
    """The team's caseworkers and supervisors only (403 for other roles)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.may_use_access_requests(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AccessRequestListView(StaffMixin, TemplateView):
    template_name = "access_requests/accessrequest_list.html"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", "")
        page = selectors.access_request_page_for(actor=self.request.user, status=status,
                                                 page_number=self.request.GET.get("page") or 1)
        rows = [(request, deadline_of(request)) for request in page.object_list]
        return super().get_context_data(page_obj=page, rows=rows, status=status,
                                        statuses=AccessRequest.Status.choices, **kwargs)


class PersonFindView(StaffMixin, TemplateView):
    """Step one of registering: find the person with the person search (posted, so a
    CPR number never lands in a URL)."""

    template_name = "access_requests/person_find.html"

    def post(self, request, *args, **kwargs):
        form = PersonSearchForm(request.POST)
        people = None
        if form.is_valid():
            try:
                people = selectors.person_candidates_for(actor=request.user, query=form.cleaned_data["q"])
            except ApplicationError as exc:
                form.add_error("q", exc.message)
        return self.render_to_response(self.get_context_data(form=form, people=people))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", PersonSearchForm())
        return super().get_context_data(**kwargs)


class RegisterView(LoginRequiredMixin, FormView):
    """Step two: the request about one person (404 unless the user's team has a case or
    referral about them)."""

    template_name = "access_requests/accessrequest_form.html"
    form_class = forms.RegisterForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.person = selectors.person_for_request(actor=request.user, person_id=kwargs["person_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            access_request = services.access_request_register(
                actor=self.request.user, person=self.person, received_on=data["received_on"],
                legal_basis=data["legal_basis"], requester=data["requester"],
                representative_note=data["representative_note"],
                representative_authority=data["representative_authority"])
        except ApplicationError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The access request is registered."))
        return redirect("access_requests:detail", pk=access_request.pk)


def _detail_context(user, access_request, access_file):
    groups = []
    for kind, label in ItemKind.choices:
        items = [item for item in access_file.items if item.kind == kind]
        if items:
            groups.append((label, items))
    return {
        "access_request": access_request,
        "file": access_file,
        "groups": groups,
        "deadline": deadline_of(access_request),
        "may_handle": services.may_handle(user, access_request),
        "delay_form": forms.DelayForm(prefix="delay"),
        "protected_labels": PROTECTED_LABELS,
        "withheld_count": len(access_file.withheld),
        "whole_file": access_file.whole,
        "lacks_authority": access_request.lacks_authority,
    }


class AccessRequestDetailView(LoginRequiredMixin, View):
    template_name = "access_requests/accessrequest_detail.html"

    def get(self, request, pk):
        access_request, access_file = selectors.access_request_get_for(actor=request.user, request_id=pk)
        return render(request, self.template_name, _detail_context(request.user, access_request, access_file))


class HandlerActionMixin(LoginRequiredMixin):
    """A write on a request the user may see (else 404); only its handler or the team's
    supervisor may act (else 403)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.access_request = selectors.access_request_reachable(actor=request.user, request_id=kwargs["pk"])
            if not services.may_handle(request.user, self.access_request):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class DelayView(HandlerActionMixin, FormView):
    template_name = "access_requests/accessrequest_delay.html"
    form_class = forms.DelayForm
    prefix = "delay"

    def get_context_data(self, **kwargs):
        return super().get_context_data(access_request=self.access_request,
                                        deadline=deadline_of(self.access_request), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.access_request_delay(actor=self.request.user, request=self.access_request,
                                          letter_on=data["letter_on"], reason=data["reason"],
                                          expected_on=data["expected_on"])
        except ApplicationError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The delay letter is recorded; the deadline is the expected date."))
        return redirect("access_requests:detail", pk=self.access_request.pk)


class ItemDecideView(HandlerActionMixin, FormView):
    template_name = "access_requests/item_decide.html"
    form_class = forms.ItemDecisionForm

    def _item(self):
        from .file import access_file_build

        if not hasattr(self, "_cached_item"):
            kind, object_id = self.kwargs["kind"], self.kwargs["object_id"]
            self._cached_item = access_file_build(self.access_request).find(kind, object_id)
        return self._cached_item

    def get(self, request, *args, **kwargs):
        if self._item() is None:
            messages.error(request, _("This item is not part of the request's file."))
            return redirect("access_requests:detail", pk=self.access_request.pk)
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        item = self._item()
        if item is None:
            return {}
        verdict = item.verdict
        return {"decision": forms.ItemDecisionForm.RELEASE if verdict.released else forms.ItemDecisionForm.WITHHOLD,
                "withhold_basis": "" if verdict.released else verdict.basis,
                "release_basis": verdict.basis if verdict.released else "", "note": verdict.note}

    def get_context_data(self, **kwargs):
        return super().get_context_data(access_request=self.access_request, item=self._item(), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        release = data["decision"] == forms.ItemDecisionForm.RELEASE
        try:
            services.access_request_item_decide(
                actor=self.request.user, request=self.access_request, kind=self.kwargs["kind"],
                object_id=self.kwargs["object_id"], release=release,
                basis=data["release_basis"] if release else data["withhold_basis"], note=data["note"])
        except ApplicationError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The decision on the item is recorded."))
        return redirect("access_requests:detail", pk=self.access_request.pk)


class CompleteView(HandlerActionMixin, View):
    def post(self, request, pk):
        try:
            services.access_request_complete(actor=request.user, request=self.access_request)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The access request is completed."))
        return redirect("access_requests:detail", pk=self.access_request.pk)


class ExportView(HandlerActionMixin, View):
    """The file as an attachment, never cached."""

    def get(self, request, pk, export_format):
        try:
            content, filename, content_type = services.access_request_export(
                actor=request.user, request=self.access_request, export_format=export_format)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("access_requests:detail", pk=self.access_request.pk)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
