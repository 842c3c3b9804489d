from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "caseflow.accounts"
    label = "accounts"
    verbose_name = _("Users and teams")

    def ready(self):
        from . import receivers

        receivers.connect()
