from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.staticfiles import apps as staticfiles_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True
    name = "caseflow.core"
    label = "core"
    verbose_name = _("Core")


class CaseflowAdminConfig(admin_apps.AdminConfig):
    """Django admin, reachable by superusers only."""

    default = False
    default_site = "permissions.admin_site.SuperuserAdminSite"


class CaseflowStaticFilesConfig(staticfiles_apps.StaticFilesConfig):
    """collectstatic skips node_modules: viewflow's wheel ships a stray copy of a font
    package there whose CSS names files that are missing, which breaks the manifest
    storage. viewflow's templates use viewflow/fonts/roboto/roboto-fontface.css."""

    default = False
    ignore_patterns = [*staticfiles_apps.StaticFilesConfig.ignore_patterns, "node_modules"]
