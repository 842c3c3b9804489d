"""Production static files: collectstatic with the hashed-manifest storage succeeds and
skips the stray node_modules copy that viewflow's wheel ships."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_collectstatic_with_manifest_storage_succeeds(tmp_path):
    env = {
        **os.environ,
        "CASEFLOW_DEBUG": "false",
        "CASEFLOW_SECRET_KEY": "x" * 60,
        "CASEFLOW_CPR_KEY": "y" * 40,
        "CASEFLOW_STATIC_MANIFEST": "true",
        "CASEFLOW_STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()
    assert list((tmp_path / "static" / "caseflow").glob("caseflow.*.css"))
    assert not list((tmp_path / "static").rglob("node_modules"))
