"""`python -m gateway serve` as a newcomer meets it: the local keys it makes, a busy port, its help."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.durability.support import REPO, free_port, wait_for


def bare_environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A first-time environment: nothing configured but where the embedded store lives."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", GATEWAY_VAR_DIR=str(tmp_path / "var"),
               GATEWAY_DATABASE_URL=f"sqlite:///{tmp_path / 'gateway.db'}", **extra)
    return env


def test_without_keys_serve_makes_a_client_and_an_operator_key(tmp_path, procs):
    server = procs.serve(bare_environ(tmp_path))
    client = (tmp_path / "var" / "api-key").read_text().strip()
    operator = (tmp_path / "var" / "operator-key").read_text().strip()
    assert client != operator and (tmp_path / "var" / "operator-key").stat().st_mode & 0o077 == 0
    log = server.proc.log_path.read_text(encoding="utf-8")
    assert "var/api-key" in log and "var/operator-key" in log and client not in log

    created = requests.post(f"{server.base_url}/channels/app", json={"text": "小区门口路灯坏了，晚上很黑"},
                            headers={"Authorization": f"Bearer {client}", "Idempotency-Key": "demo-1"}, timeout=10)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]

    def in_case():
        body = requests.get(f"{server.base_url}/api/v1/tickets/{reference}",
                            headers={"Authorization": f"Bearer {client}"}, timeout=5).json()
        return body["case"]
    case = wait_for(in_case, 30, "the ticket reaching a case")
    path = f"{server.base_url}/api/v1/cases/{case['id']}"
    assert requests.get(path, headers={"Authorization": f"Bearer {client}"}, timeout=5).status_code == 403
    answer = requests.get(path, headers={"Authorization": f"Bearer {operator}"}, timeout=5)
    assert answer.status_code == 200 and reference in json.dumps(answer.json())


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                    reason="the README's examples need bash and curl")
def test_configured_keys_replace_both_local_keys_and_the_readme_says_how_to_keep_the_curls(tmp_path, procs):
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    keys = re.search(r"`GATEWAY_API_KEYS=([^`]+)`", readme[readme.index("replaces both local keys"):]).group(1)
    assignment = re.search(r"run `(CLIENT_KEY=[^`]+)`", readme).group(1)
    env = bare_environ(tmp_path, GATEWAY_API_KEYS=keys)
    del env["GATEWAY_VAR_DIR"]
    server = procs.serve(env)
    assert not (tmp_path / "var" / "api-key").exists() and not (tmp_path / "var" / "operator-key").exists()
    block = readme_block("In a second terminal")
    script = block.replace(block.splitlines()[0], assignment, 1).replace("http://127.0.0.1:8000", server.base_url)
    script = script.replace('echo "$REF"\n', 'echo "$REF"\n' + _wait_for_case(server.base_url), 1)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ["PATH"]})
    assert done.returncode == 0, done.stderr
    case = json.loads(done.stdout.splitlines()[2])
    assert case["id"] == 1 and done.stdout.splitlines()[0] in json.dumps(case)


def test_a_busy_port_is_one_line_and_a_failure(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "gateway", "serve", "--port", str(port)], cwd=tmp_path,
                              env=bare_environ(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "listening" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "already in use" in lines[0]
    assert not (tmp_path / "gateway.db").exists()   # refused before anything was set up


def test_serve_help_names_its_defaults():
    done = subprocess.run([sys.executable, "-m", "gateway", "serve", "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "127.0.0.1" in text and "8000" in text and "PORT" in text and "var/operator-key" in text


def test_every_verb_has_a_one_line_help():
    from gateway.cli import parser

    def walk(p, trail):
        for action in p._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                helps = {c.dest: c.help for c in action._choices_actions}
                for name, child in action.choices.items():
                    assert helps.get(name), f"`{' '.join(trail + [name])}` has no help line"
                    walk(child, trail + [name])
    walk(parser(), [])


def readme_block(after: str) -> str:
    """The first ```sh block of the README after the line containing `after`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rest = text[text.index(after):]
    start = rest.index("```sh\n") + len("```sh\n")
    return rest[start:rest.index("```", start)]


def _wait_for_case(base_url: str) -> str:
    """Shell lines that wait for the ticket's case: a reader takes seconds to paste the next line, while a script
    on a loaded machine may be faster than the pipeline."""
    return (f'for _ in $(seq 100); do curl -s -H "Authorization: Bearer $CLIENT_KEY" '
            f'"{base_url}/api/v1/tickets/$REF" | grep -Eq \'"case": ?[{{]\' && break; sleep 0.2; done\n')


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                    reason="the README's examples need bash and curl")
def test_the_readme_curls_work_when_pasted(tmp_path, procs):
    env = bare_environ(tmp_path)
    del env["GATEWAY_VAR_DIR"]          # the README's reader has the default: var/ in the working directory
    server = procs.serve(env)
    script = readme_block("In a second terminal").replace("http://127.0.0.1:8000", server.base_url)
    script = script.replace('echo "$REF"\n', 'echo "$REF"\n' + _wait_for_case(server.base_url), 1)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ["PATH"]})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    reference = lines[0]
    ticket, case = json.loads(lines[1]), json.loads(lines[2])
    assert ticket["reference"] == reference and ticket["case"]["id"] == 1
    assert case["id"] == 1 and reference in json.dumps(case)
