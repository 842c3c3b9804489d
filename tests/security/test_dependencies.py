"""The dependency audit is wired into CI (issue 10 point 5). The audit itself needs
PyPI, so it runs as ``make audit-deps`` from ``.ci/run``, not inside the test suite."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pip_audit_is_a_dev_dependency():
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert any(re.match(r"pip-audit\b", requirement) for requirement in dev)


def test_ci_runs_the_dependency_audit():
    steps = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip().startswith("make ")]
    audit = [step for step in steps if step.split()[:2] == ["make", "audit-deps"]]
    assert audit, steps
    # before the suite, so that pytest's summary stays the run's last word
    assert steps.index(audit[0]) < steps.index("make test")


def test_the_audit_fails_closed_and_retries():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\naudit-deps:", 1)[1].split("\n\n", 1)[0]
    assert "pip-audit" in recipe
    assert "--strict" in recipe  # a dependency it could not look up fails the audit
    assert "--skip-editable" in recipe  # our own package is not on PyPI
    assert "--timeout" in recipe
    assert "AUDIT_TRIES" in recipe
