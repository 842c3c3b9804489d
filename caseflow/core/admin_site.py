from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class SuperuserAdminSite(admin.AdminSite):
    """Staff status alone opens nothing: only active superusers reach the admin."""

    site_header = _("Caseflow administration")
    site_title = _("Caseflow administration")

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser
