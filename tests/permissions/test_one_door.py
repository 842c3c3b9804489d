"""Every access decision lives in ``permissions/`` (issue 20, "one door"): no role, team
or superuser check elsewhere decides who reaches data. The accounts model that stores
roles, the demo seed that assigns them and the migrations are the exceptions; so, until
they move (listed with what still has to happen), are ``STILL_TO_MOVE``."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCANNED = ("caseflow", "workflows")
#: A role, group or superuser check.
CHECK = re.compile(r"\.has_role\(|groups__name|\.is_superuser\b")
ALLOWED = {
    "caseflow/accounts/models.py",  # stores the roles: has_role itself
    "caseflow/accounts/admin.py",  # the admin's list columns and filters (display, no decision)
}
#: Files whose checks have not moved into the policy yet, and why not yet.
STILL_TO_MOVE = {
}


def _offending_files() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.startswith("caseflow/demo/") or relative in ALLOWED:
                continue
            lines = [f"{number}: {line.strip()}" for number, line in enumerate(path.read_text().splitlines(), 1)
                     if CHECK.search(line) and not line.lstrip().startswith("#")]
            if lines:
                found[relative] = lines
    return found


def test_no_role_or_team_check_outside_the_policy():
    found = _offending_files()
    unexpected = {path: lines for path, lines in found.items() if path not in STILL_TO_MOVE}
    assert not unexpected, f"ask permissions.policy (may_use, may_hold, can) instead: {unexpected}"


def test_the_list_of_checks_still_to_move_only_shrinks():
    found = _offending_files()
    moved = sorted(path for path in STILL_TO_MOVE if path not in found)
    assert not moved, f"these no longer check roles themselves: remove them from STILL_TO_MOVE: {moved}"


def test_grant_validity_is_defined_once():
    """"A grant valid now" is ``GrantQuerySet.valid_now`` (permissions/models.py): no
    other module spells out the ``valid_until`` condition in the ORM. (The task lists'
    hand-written SQL in workflows/selectors.py repeats it in SQL, next to the indexes it
    is tuned for.)"""
    spelled_out = re.compile(r"valid_until__(isnull|gt|gte|lt|lte)\b")
    found = []
    for top in (*SCANNED, "permissions"):
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "permissions/models.py":
                continue
            found += [f"{relative}:{number}" for number, line in enumerate(path.read_text().splitlines(), 1)
                      if spelled_out.search(line)]
    assert not found, f"use .valid_now() on the grant tables instead: {found}"
