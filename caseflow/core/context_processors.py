from caseflow.accounts.roles import Role


def navigation(request):
    """Which menu entries the signed-in user gets (the pages check again themselves)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "cases": True,
            "person_search": any(user.has_role(r) for r in (Role.CASEWORKER, Role.SUPERVISOR,
                                                             Role.CHILD_CONSULTANT)),
            "emergency_reviews": user.has_role(Role.SUPERVISOR),
            "admin": user.is_superuser,
        }
    }
