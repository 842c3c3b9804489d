import datetime
import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caseflow.audit.services import audit_verify


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain (over pruning anchors) and check it against every signed anchor. "
        "Exits 0 with 'intact (N events)', otherwise non-zero naming the first event (or range) that "
        "differs, or the anchor line that was edited or signed with another key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads",
            dest="heads_path",
            default=None,
            help="Anchor file to check against (default: CASEFLOW_AUDIT_HEAD_EXPORT_PATH; skipped if missing).",
        )
        parser.add_argument(
            "--public-key",
            dest="public_keys",
            action="append",
            default=None,
            help="A public key file (PEM, or base64 of the raw key) whose anchors are accepted; repeatable. "
            "Default: the configured signing key's and CASEFLOW_AUDIT_OLD_PUBLIC_KEYS.",
        )
        parser.add_argument(
            "--since-anchor",
            type=int,
            default=None,
            help="Verify from the anchor at this sequence (verified before) instead of from the start.",
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Verify from the last anchor a previous run verified (CASEFLOW_AUDIT_VERIFY_STATE_PATH), "
            "and record the new one.",
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Events fetched per round trip.")

    def handle(self, *, heads_path, public_keys, since_anchor, incremental, batch_size, verbosity, **options):
        state_path = Path(settings.CASEFLOW_AUDIT_VERIFY_STATE_PATH)
        if incremental and since_anchor is None and state_path.exists():
            since_anchor = json.loads(state_path.read_text(encoding="utf-8")).get("anchor_sequence") or None
        keys = [Path(name).read_text(encoding="utf-8") for name in public_keys] if public_keys else None
        started = time.monotonic()
        result = audit_verify(heads_path=heads_path, public_keys=keys, since_anchor=since_anchor,
                              batch_size=batch_size)
        elapsed = time.monotonic() - started
        if not result.ok:
            raise CommandError(
                f"audit chain broken at {result.broken} ({result.count} events intact before it)"
            )
        if incremental and result.last_anchor:
            state_path.parent.mkdir(parents=True, exist_ok=True)
            state = {"anchor_sequence": result.last_anchor,
                     "verified_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
            state_path.write_text(json.dumps(state) + "\n", encoding="utf-8")
        since = f" since anchor {since_anchor}" if since_anchor else ""
        self.stdout.write(f"intact ({result.count} events{since})")
        if verbosity > 1:
            self.stdout.write(f"{result.heads_checked} anchors checked, {elapsed:.1f}s")
