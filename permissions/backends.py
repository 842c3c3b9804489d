"""Routes ``user.has_perm(perm, obj)`` into the permission policy.

viewflow's task checks call ``has_perm(perm, obj)`` and then ``has_perm(perm)``; a
global (model-level) grant of an object permission would therefore open every case. This
backend answers object checks from the policy and vetoes the global form of every
policy-controlled permission by raising ``PermissionDenied``, which stops the backends
after it (Django's ``_user_has_perm``).
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import policy
from .rules import PERMISSION_ACTIONS


class PolicyBackend:
    def authenticate(self, request, **credentials):
        return None  # sign-in is ModelBackend's job

    def get_user(self, user_id):
        # Sessions may name this backend (it is listed first); load users as ModelBackend does.
        return ModelBackend().get_user(user_id)

    def has_perm(self, user_obj, perm, obj=None):
        action = PERMISSION_ACTIONS.get(perm)
        if action is None:
            return False  # not ours: other backends decide (e.g. admin model permissions)
        if obj is None:
            raise PermissionDenied(f"{perm} is granted per object only")
        if policy.can(user_obj, action, obj):
            return True
        raise PermissionDenied(perm)

    def has_module_perms(self, user_obj, app_label):
        return False
