from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .selectors import dashboard_for


class DashboardView(LoginRequiredMixin, TemplateView):
    """The signed-in user's start page: their tasks, the tasks they may take, deadlines,
    their cases (supervisors: the team's breached deadlines; providers: their
    interventions). What each list holds is decided by the policy-scoped selectors."""

    template_name = "dashboard/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**dashboard_for(actor=self.request.user), **kwargs)
