"""``make bench``: the benchmarks of design.md §7 on a real PostgreSQL (fsync on, as in
production), started on 127.0.0.1 with data under var/ and always stopped afterwards.

So far it measures the audit trail (scripts/bench_audit.py): chained inserts per second
with 1 and 4 writers, the latency an audited write adds, and ``audit_verify`` over 1M
events. The case-list, inbox and search benchmarks join it with ``seed_bench`` (the
benchmark issue). Results go to stdout and to var/bench/audit.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.services import VAR, Postgres, ServiceError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")

def main(argv: list[str]) -> int:
    run_dir = VAR / f"bench-{os.getpid()}"
    pg = Postgres(run_dir / "pg" / "data")
    try:
        try:
            pg.start(fast=False)
        except ServiceError as exc:
            print(f"make bench: cannot start PostgreSQL: {exc}", file=sys.stderr)
            return 2
        env = {**os.environ, "DATABASE_URL": pg.url, "CASEFLOW_DEBUG": "true"}
        args = argv or ["--events", "5000", "--verify-events", "1000000"]
        result = subprocess.run([PYTHON, "scripts/bench_audit.py", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        sys.stderr.write(result.stderr[-3000:])
        if result.returncode != 0:
            return result.returncode
        out_dir = VAR / "bench"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "audit.json").write_text(result.stdout)
        print(result.stdout)
        try:
            json.loads(result.stdout)
        except ValueError:
            print("make bench: the audit benchmark printed no JSON", file=sys.stderr)
            return 1
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        pg.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
