from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "caseflow.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from celery.signals import beat_init, worker_ready

        beat_init.connect(_start_relay_in_beat, weak=False, dispatch_uid="caseflow-outbox-relay-beat")
        worker_ready.connect(_relay_at_worker_start, weak=False, dispatch_uid="caseflow-outbox-relay-worker")


def _start_relay_in_beat(sender=None, **kwargs):
    """Celery beat runs the outbox relay in a thread: it needs only the database, so it
    keeps trying while Redis is down and publishes as soon as it is back."""
    from .outbox import outbox_relay_thread_start

    outbox_relay_thread_start(source="beat")


def _relay_at_worker_start(sender=None, **kwargs):
    """A worker that (re)starts publishes what waited in the outbox (in a thread: the
    worker's start is not held up)."""
    import threading

    from django.db import connection

    from caseflow.audit.context import audit_context

    from .outbox import outbox_relay

    def once():
        try:
            with audit_context(system_actor="relay:worker_start", request_id="new", ip="", user_agent=""):
                outbox_relay()
        except Exception:  # logged; the relay loop and the beat task try again
            import logging

            logging.getLogger(__name__).exception("outbox relay at worker start failed")
        finally:
            connection.close()

    threading.Thread(target=once, name="outbox-relay-worker-start", daemon=True).start()
