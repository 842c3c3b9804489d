"""The menu: which entries the signed-in user gets, from the feature rules
(``permissions.rules.FEATURE_RULES``). The pages check again themselves, through the
same rules."""

from .policy import may_use
from .rules import Feature

#: Menu entry -> the feature it opens.
NAVIGATION = {
    "cases": Feature.CASE_LIST,
    "tasks": Feature.TASK_LISTS,
    "deadline_breaches": Feature.DEADLINE_BREACHES,
    "supervision": Feature.SUPERVISION,
    "person_search": Feature.PERSON_SEARCH,
    "emergency_reviews": Feature.EMERGENCY_REVIEWS,
    "retention": Feature.RETENTION,
    "meetings": Feature.MEETINGS,
    "audit": Feature.AUDIT_LOG,
    "statistics": Feature.STATISTICS,
    "access_requests": Feature.ACCESS_REQUESTS,
    "register_referral": Feature.REGISTER_REFERRAL,
    "notifications": Feature.NOTIFICATIONS,
    "admin": Feature.ADMIN,
}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {"nav": {"dashboard": True, **{entry: may_use(user, feature) for entry, feature in NAVIGATION.items()}}}
