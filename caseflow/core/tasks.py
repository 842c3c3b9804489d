"""Infrastructure tasks."""

from celery import shared_task


@shared_task(name="core.tasks.ping_task")
def ping_task(*, nonce: str) -> str:
    """Round-trip check: a worker answers with the nonce it was given."""
    return f"pong:{nonce}"
