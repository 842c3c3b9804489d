from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from caseflow.core.views import healthz
from workflows.urls import case_flow_urls, intervention_flow_urls, referral_flow_urls

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard:home", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", include("caseflow.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cases/", include("caseflow.cases.urls")),
    path("referrals/", include("caseflow.referrals.urls")),
    path("interventions/", include("caseflow.interventions.urls")),
    path("journal/", include("caseflow.journal.urls")),
    path("documents/", include("caseflow.documents.urls")),
    path("dashboard/", include("caseflow.dashboard.urls")),
    path("people/", include("caseflow.people.urls")),
    path("meetings/", include("caseflow.meetings.urls")),
    path("reports/access-requests/", include("caseflow.access_requests.urls")),
    path("reports/", include("caseflow.reports.urls")),
    path("supervision/", include("caseflow.supervision.urls")),
    path("retention/", include("caseflow.retention.urls")),
    path("notifications/", include("caseflow.notifications.urls")),
    path("access/", include("permissions.urls")),
    path("audit/", include("caseflow.audit.urls")),
    path("tasks/", include("workflows.urls")),
    path("workflows/referral/", referral_flow_urls),
    path("workflows/intervention/", intervention_flow_urls),
    path("workflows/case/", case_flow_urls),
    path("api/", include("caseflow.intake.urls")),
    path("admin/", admin.site.urls),
]
handler500 = "caseflow.core.unavailable.server_error"
