from django.contrib.auth.models import AbstractUser, _user_has_perm
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Team(models.Model):
    """A team of the coordination unit; supervisors see their own team's cases."""

    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A member of staff or a partner. Roles are groups (see ``roles.Role``)."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    def has_perm(self, perm, obj=None):
        """Object checks always go through the backends (the permission policy), also for
        superusers: a superuser administers the system, not case content."""
        if obj is not None:
            return self.is_active and _user_has_perm(self, perm, obj)
        return super().has_perm(perm, obj)

    def _groups_loaded(self) -> tuple[tuple[int, str], ...]:
        """(id, name) of the user's groups, read once per user object (one request)."""
        if not hasattr(self, "_group_rows"):
            self._group_rows = tuple(self.groups.order_by("name").values_list("id", "name"))
        return self._group_rows

    def has_role(self, role: Role) -> bool:
        """Whether the user holds ``role``; evaluated once per request object."""
        return Role(role).value in self.role_names()

    def role_names(self) -> tuple[str, ...]:
        """The user's roles (group names), sorted; shares ``has_role``'s one query."""
        return tuple(name for _pk, name in self._groups_loaded())

    def group_ids(self) -> list[int]:
        """The user's group ids, for the policy's group-grant lookups (a literal list lets
        PostgreSQL use the grant tables' group index); shares ``has_role``'s one query."""
        return [pk for pk, _name in self._groups_loaded()]
