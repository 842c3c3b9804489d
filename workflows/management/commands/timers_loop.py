"""Fire workflow timers in a loop: the beat stand-in that ``make run`` starts. It also
anchors the audit chain head (a signed line in CASEFLOW_AUDIT_HEAD_EXPORT_PATH) whenever
events were written since the last anchor, as beat's audit-head-export does."""

import time

from django.core.management.base import BaseCommand

from caseflow.audit.tasks import audit_head_export_task
from workflows.tasks import workflow_timers_fire_task


class Command(BaseCommand):
    help = "Fire due workflow timers, and anchor the audit chain if it moved, every --interval seconds until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument("--once", action="store_true", help="Fire once and exit.")

    def handle(self, *, interval, once, **options):
        while True:
            fired = workflow_timers_fire_task()
            if fired:
                self.stdout.write(f"{fired} timer(s) fired")
            anchored = audit_head_export_task()
            if anchored:
                self.stdout.write(f"audit chain anchored at sequence {anchored}")
            if once:
                return
            time.sleep(interval)
