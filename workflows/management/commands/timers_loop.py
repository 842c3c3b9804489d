"""Fire workflow timers in a loop: the beat stand-in that ``make run`` starts."""

import time

from django.core.management.base import BaseCommand

from workflows.tasks import workflow_timers_fire_task


class Command(BaseCommand):
    help = "Fire due workflow timers every --interval seconds until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument("--once", action="store_true", help="Fire once and exit.")

    def handle(self, *, interval, once, **options):
        while True:
            fired = workflow_timers_fire_task()
            if fired:
                self.stdout.write(f"{fired} timer(s) fired")
            if once:
                return
            time.sleep(interval)
