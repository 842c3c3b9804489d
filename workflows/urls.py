from django.urls import path

from .dashboard_views import DeadlineBreachListView
from .flows.case import CaseFlow
from .flows.intervention import InterventionFlow
from .flows.referral import ReferralFlow
from .views import FlowTaskViewset, TaskClaimView, TaskInboxView, TaskQueueView

app_name = "workflows"

urlpatterns = [
    path("", TaskInboxView.as_view(), name="inbox"),
    path("queue/", TaskQueueView.as_view(), name="queue"),
    path("<int:task_pk>/claim/", TaskClaimView.as_view(), name="claim"),
    path("deadlines/", DeadlineBreachListView.as_view(), name="deadline_breaches"),
]

#: The ReferralFlow's task URLs (namespace ``referral``), routed by caseflow/urls.py.
referral_flow_urls = FlowTaskViewset(ReferralFlow).urls
intervention_flow_urls = FlowTaskViewset(InterventionFlow).urls
case_flow_urls = FlowTaskViewset(CaseFlow).urls
