"""The roles of design.md §2. Each is a Django group of the same name, created by a
data migration; object access comes from the permission policy, never from the group
alone."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    CHILD_CONSULTANT = "child_consultant", _("Child-focused consultant")
    SUPERVISOR = "supervisor", _("Supervisor")
    BBU_LIAISON = "bbu_liaison", _("BBU liaison")
    MENTOR = "mentor", _("Mentor")
    PARENT_COACH = "parent_coach", _("Parent coach")
    AUDITOR = "auditor", _("Auditor (DPO)")
    PARTNER_MEMBER = "partner_member", _("Partner member")
    PARTNER_INTAKE = "partner_intake", _("Partner intake")
