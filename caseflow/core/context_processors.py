from caseflow.accounts.roles import Role


def navigation(request):
    """Which menu entries the signed-in user gets (the pages check again themselves)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "dashboard": True,
            "cases": any(user.has_role(r) for r in (Role.CASEWORKER, Role.SUPERVISOR, Role.CHILD_CONSULTANT,
                                                    Role.BBU_LIAISON)),
            "tasks": any(user.has_role(r) for r in (Role.CASEWORKER, Role.SUPERVISOR, Role.CHILD_CONSULTANT,
                                                    Role.BBU_LIAISON, Role.MENTOR, Role.PARENT_COACH)),
            "deadline_breaches": user.has_role(Role.SUPERVISOR),
            "supervision": user.has_role(Role.SUPERVISOR) and bool(user.team_id),
            "person_search": any(user.has_role(r) for r in (Role.CASEWORKER, Role.SUPERVISOR,
                                                             Role.CHILD_CONSULTANT)),
            "emergency_reviews": user.has_role(Role.SUPERVISOR),
            "retention": user.has_role(Role.SUPERVISOR),
            "meetings": any(user.has_role(r) for r in (Role.CASEWORKER, Role.SUPERVISOR,
                                                        Role.PARTNER_MEMBER)),
            "audit": user.has_role(Role.AUDITOR) or user.has_role(Role.SUPERVISOR),
            "statistics": user.has_role(Role.SUPERVISOR) or user.has_role(Role.AUDITOR),
            "access_requests": bool(user.team_id) and any(
                user.has_role(r) for r in (Role.CASEWORKER, Role.SUPERVISOR)),
            "register_referral": bool(user.team_id) and any(
                user.has_role(r) for r in (Role.CASEWORKER, Role.SUPERVISOR)),
            "notifications": not user.is_superuser,
            "admin": user.is_superuser,
        }
    }
