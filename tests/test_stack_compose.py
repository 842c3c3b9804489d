"""docker-compose.yml, the Dockerfile and `make stack` (scripts/stack.py) describe the
same topology: same services, same commands. No database needed."""

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from scripts import stack

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    assert DOCKERFILE.is_file(), "Dockerfile is missing"
    # Join continuation lines so that each instruction is one line.
    return re.sub(r"\\\n", " ", DOCKERFILE.read_text())


def _program(argv: list[str]) -> list[str]:
    """What a command runs: gunicorn and its WSGI app, or `celery -A caseflow <subcommand>`."""
    name = Path(argv[0]).name
    if name == "gunicorn":
        return [name, argv[1]]
    if name == "celery":
        return [name, *argv[1:4]]
    return [name]


def test_compose_has_exactly_the_five_services(compose):
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    assert compose["services"]["postgres"]["image"] == "postgres:15"
    assert compose["services"]["redis"]["image"] == "redis:7"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_compose_command_equals_compose_command_of_stack(compose, name):
    command = compose["services"][name]["command"]
    assert isinstance(command, list), f"{name}: command must be a YAML list"
    assert command == stack.compose_command(name)


@pytest.mark.parametrize(
    ("name", "program"),
    [
        ("web", ["gunicorn", "caseflow.wsgi:application"]),
        ("worker", ["celery", "-A", "caseflow", "worker"]),
        ("beat", ["celery", "-A", "caseflow", "beat"]),
    ],
)
def test_stack_and_compose_run_the_same_program(name, program):
    assert set(stack.COMMANDS) == set(APP_SERVICES)
    assert _program(stack.COMMANDS[name]) == program
    assert _program(stack.compose_command(name)) == program
    local = stack.stack_command(name, bind="127.0.0.1:8000", schedule="var/stack/celerybeat-schedule")
    assert Path(local[0]) == stack.VENV_BIN / program[0]
    assert _program(local) == program


def test_only_placeholders_differ_between_stack_and_compose():
    for name in APP_SERVICES:
        template, composed = stack.COMMANDS[name], stack.compose_command(name)
        assert len(template) == len(composed)
        for arg, filled in zip(template, composed, strict=True):
            if not (arg.startswith("{") and arg.endswith("}")):
                assert arg == filled
    assert stack.compose_command("web")[stack.compose_command("web").index("--bind") + 1] == "0.0.0.0:8000"
    local_web = stack.stack_command("web", bind="127.0.0.1:8123", schedule="unused")
    assert local_web[local_web.index("--bind") + 1] == "127.0.0.1:8123"
    local_beat = stack.stack_command("beat", bind="unused", schedule="/x/celerybeat-schedule")
    assert local_beat[local_beat.index("--schedule") + 1] == "/x/celerybeat-schedule"


def test_app_services_share_the_image_and_configuration(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        service = services[name]
        assert service.get("build") in (".", {"context": "."}), name
        env = service["environment"]
        assert env["CASEFLOW_DEBUG"] == "false"
        for var in ("DATABASE_URL", "REDIS_URL", "CASEFLOW_SECRET_KEY", "CASEFLOW_CPR_KEY",
                    "CASEFLOW_ALLOWED_HOSTS"):
            assert var in env, f"{name}: {var}"
        # The secrets have no default: compose refuses to start without them.
        assert env["CASEFLOW_SECRET_KEY"] == "${CASEFLOW_SECRET_KEY:?set CASEFLOW_SECRET_KEY}"
        assert env["CASEFLOW_CPR_KEY"] == "${CASEFLOW_CPR_KEY:?set CASEFLOW_CPR_KEY}"
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        depends = service["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_dockerfile_installs_the_project_and_runs_as_non_root(dockerfile):
    lines = [line.strip() for line in dockerfile.splitlines()]
    assert any(line.startswith("FROM python:3.11-slim") for line in lines)
    run_lines = [line for line in lines if line.startswith("RUN ")]
    assert any(re.search(r"\bpip install (\S+ )*\.(\s|$)", line) for line in run_lines), \
        "the Dockerfile must install the project with `pip install .`"
    collect = [line for line in run_lines if "collectstatic" in line]
    assert collect, "static files are collected at build time"
    # The build-time keys are set for that one command only, never as ENV.
    assert "CASEFLOW_SECRET_KEY=" in collect[0]
    assert not any(line.startswith("ENV") and "CASEFLOW_SECRET_KEY" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "the image must switch to a non-root user"
    assert users[-1] not in ("root", "0")


def test_dockerfile_default_command_is_the_web_command(dockerfile):
    cmd_lines = [line.strip() for line in dockerfile.splitlines() if line.strip().startswith("CMD ")]
    assert cmd_lines, "the Dockerfile has no CMD"
    raw = cmd_lines[-1][len("CMD "):]
    argv = json.loads(raw) if raw.startswith("[") else shlex.split(raw)
    assert argv == stack.compose_command("web")
