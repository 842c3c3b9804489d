from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True
    name = "caseflow.core"
    label = "core"
    verbose_name = _("Core")


class CaseflowAdminConfig(admin_apps.AdminConfig):
    """Django admin, reachable by superusers only."""

    default = False
    default_site = "caseflow.core.admin_site.SuperuserAdminSite"
