"""Prove that automatic workflow steps run: start the WorkerSelfCheckFlow and wait for
a Celery worker to finish its job. Exit status 0 when it did, 1 when not in time."""

import time

from django.core.management.base import BaseCommand, CommandError
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS

from workflows.flows.selfcheck import WorkerSelfCheckFlow


class Command(BaseCommand):
    help = "Run one workflow job through the broker and a worker, and wait for it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")

    def handle(self, *args, timeout, **options):
        process = WorkerSelfCheckFlow.start.run()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = Process.objects.filter(pk=process.pk).values_list("status", flat=True).first()
            if status == PROCESS.DONE:
                self.stdout.write(f"workflow job ran (process {process.pk})")
                return
            time.sleep(0.25)
        raise CommandError(f"the workflow job did not run within {timeout:g} s (process {process.pk})")
