from django.urls import path

from .views import AuditExportView, AuditSearchView, AuditUserLogView

app_name = "audit"

urlpatterns = [
    path("", AuditSearchView.as_view(), name="search"),
    path("export.csv", AuditExportView.as_view(), name="export"),
    path("users/<int:user_id>/", AuditUserLogView.as_view(), name="user_log"),
]
