"""Pages that write consents and disclosures to a case file. Each loads the case
through ``case_get_for_change`` (404 without the case file, 403 without CHANGE, both
audited) and calls one service; refusals are shown on the form, nothing is saved."""

import abc

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView

from caseflow.core.exceptions import ApplicationError

from .consent_forms import ConsentForm, ConsentWithdrawForm, DisclosureForm
from .consents import (
    PURPOSE_CONSENT_WORK,
    PURPOSE_DISCLOSURE,
    case_get_for_change,
    consent_list_for_case,
    consent_record,
    consent_withdraw,
)
from .disclosures import disclosure_record
from .models import Consent


class _CaseFileChangeView(LoginRequiredMixin, FormView, metaclass=abc.ABCMeta):
    purpose = PURPOSE_CONSENT_WORK

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = case_get_for_change(actor=request.user, case_id=kwargs["pk"], purpose=self.purpose,
                                        record_read=request.method == "GET")
        self.on_case_loaded()
        return super().dispatch(request, *args, **kwargs)

    def on_case_loaded(self):
        """Load what else the page needs (404 if it is not on this case)."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(case=self.case, **kwargs)

    @abc.abstractmethod
    def run_service(self, form):
        """Call the one service of this page; return the success message."""

    def form_valid(self, form):
        try:
            message = self.run_service(form)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(reverse("cases:detail", args=[self.case.pk]) + "#consents")


class ConsentCreateView(_CaseFileChangeView):
    template_name = "cases/consents/consent_form.html"
    form_class = ConsentForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "case": self.case}

    def run_service(self, form):
        data = form.cleaned_data
        consent_record(
            actor=self.request.user, case=self.case, scope=data["scope"], given_by=data["given_by"],
            given_on=data["given_on"], given_by_name=data["given_by_name"], intervention=data["intervention"],
            recipient=data["recipient"], expires_on=data["expires_on"], note=data["note"],
        )
        return _("The consent is recorded.")


class ConsentWithdrawView(_CaseFileChangeView):
    template_name = "cases/consents/consent_withdraw.html"
    form_class = ConsentWithdrawForm

    def on_case_loaded(self):
        consent = Consent.objects.filter(case=self.case, pk=self.kwargs["consent_pk"]).select_related(
            "recorded_by", "intervention").first()
        if consent is None:
            raise Http404
        consent.case = self.case
        self.consent = consent

    def get_context_data(self, **kwargs):
        return super().get_context_data(consent=self.consent, **kwargs)

    def run_service(self, form):
        consent_withdraw(actor=self.request.user, consent=self.consent,
                         withdrawn_on=form.cleaned_data["withdrawn_on"], note=form.cleaned_data["note"])
        return _("The withdrawal of the consent is recorded.")


class DisclosureCreateView(_CaseFileChangeView):
    template_name = "cases/consents/disclosure_form.html"
    form_class = DisclosureForm
    purpose = PURPOSE_DISCLOSURE

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sharing_consents=consent_list_for_case(case=self.case, scope=Consent.Scope.SHARING), **kwargs)

    def run_service(self, form):
        data = form.cleaned_data
        disclosure_record(
            actor=self.request.user, case=self.case, recipient=data["recipient"], data=data["data"],
            legal_basis=data["legal_basis"], legal_basis_other=data["legal_basis_other"],
            justification=data["justification"], restricted_included=data["restricted_included"],
        )
        return _("The disclosure is recorded.")
