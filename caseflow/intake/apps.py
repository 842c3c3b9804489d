from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "caseflow.intake"
    label = "intake"
    verbose_name = _("Partner intake")

    def ready(self):
        from . import schema  # noqa: F401 - registers the OpenAPI authentication extension
