"""Publish the outbox rows the broker did not take (Redis was down), in a loop. Needs
only the database: nothing has to come through Redis to trigger it."""

import threading

from django.core.management.base import BaseCommand

from caseflow.audit.context import audit_context
from caseflow.notifications.outbox import outbox_pending_count, outbox_relay, outbox_relay_loop


class Command(BaseCommand):
    help = "Publish pending outbox messages every --interval seconds until stopped (or --once)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes (default 5)")
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *, interval, once, **options):
        if once:
            with audit_context(system_actor="command:outbox_relay", request_id="new", ip="", user_agent=""):
                published = outbox_relay()
            self.stdout.write(f"{published} published, {outbox_pending_count()} pending")
            return
        stop = threading.Event()
        try:
            outbox_relay_loop(interval=interval, stop=stop, source="command")
        except KeyboardInterrupt:
            stop.set()
