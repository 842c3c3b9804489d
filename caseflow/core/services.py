from django.db import transaction

from .models import ReferenceSequence


@transaction.atomic
def reference_next(*, prefix: str, year: int) -> tuple[int, str]:
    """Allocate the next number for ``prefix`` in ``year``; returns (number, reference).

    The sequence row is created if missing (ignoring a concurrent creator) and then
    locked, so two transactions can never receive the same number.
    """
    ReferenceSequence.objects.bulk_create(
        [ReferenceSequence(prefix=prefix, year=year)], ignore_conflicts=True
    )
    seq = ReferenceSequence.objects.select_for_update().get(prefix=prefix, year=year)
    seq.last_number += 1
    seq.save(update_fields=["last_number"])
    return seq.last_number, f"{prefix}-{year}-{seq.last_number:04d}"
