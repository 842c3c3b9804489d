"""One writer process for test_audit_concurrency (run as ``python -m tests.audit.concurrent_writer``).

Waits for the parent's go signal, then records ``--count`` events as fast as it can,
each in its own transaction, and prints the sequence numbers it got as JSON.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--actor-id", type=int, default=None)
    parser.add_argument("--barrier", type=Path, required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseflow.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from caseflow.audit.actions import AuditAction
    from caseflow.audit.context import audit_context
    from caseflow.audit.services import audit_record

    actor = get_user_model().objects.get(pk=args.actor_id) if args.actor_id else None
    connection.ensure_connection()
    (args.barrier / f"ready-{args.label}").touch()
    deadline = time.monotonic() + 60
    while not (args.barrier / "go").exists():
        if time.monotonic() > deadline:
            sys.stderr.write("no go signal\n")
            return 2
        time.sleep(0.01)

    sequences = []
    with audit_context(system_actor=f"writer:{args.label}", request_id="new"):
        for number in range(args.count):
            with transaction.atomic():
                event = audit_record(
                    actor=actor if number % 2 else None,
                    action=AuditAction.CASE_VIEWED,
                    target_type="cases.case",
                    target_id=str(number),
                    extra={"writer": args.label, "number": number},
                )
            sequences.append(event.sequence)
    sys.stdout.write(json.dumps(sequences) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
