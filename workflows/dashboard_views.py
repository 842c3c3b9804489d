"""The supervisors' list of breached deadlines (the tasks stay open until done)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import ListView

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import Feature, may_use

from .deadlines import deadline_breaches_for


class DeadlineBreachListView(LoginRequiredMixin, ListView):
    template_name = "workflows/deadline_breaches.html"
    context_object_name = "breaches"
    paginate_by = 50

    def get_queryset(self):
        if not may_use(self.request.user, Feature.DEADLINE_BREACHES):
            raise PermissionDenied
        return deadline_breaches_for(actor=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audit_record(actor=self.request.user, action=AuditAction.CASE_LISTED, target_type="workflows.deadlinebreach",
                     purpose="deadline_breaches", extra={"rows": len(context["breaches"])})
        return context
