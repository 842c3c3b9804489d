from django.db.models import QuerySet

from permissions.policy import visible_cases

from .models import Case


def case_list_for(*, actor) -> QuerySet[Case]:
    """The cases ``actor`` may see, newest first, with what the list shows joined in."""
    return visible_cases(actor).select_related("person", "responsible", "team").order_by(
        "-opened_at", "-pk"
    )
