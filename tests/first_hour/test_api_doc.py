"""docs/api.md, the contract as kept in the repository, is true: its signing example verifies, its live recipe is
accepted by a real gateway, and its endpoint and verb tables say what this version serves."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import requests

from channels.signing import signature
from gateway.cli import parser
from gateway.web.openapi import build_spec
from tests.durability.support import REPO, wait_for
from tests.first_hour.test_serve import bare_environ

DOC = (REPO / "docs" / "api.md").read_text(encoding="utf-8")


def block(after: str, fence: str) -> str:
    rest = DOC[DOC.index(after):]
    start = rest.index(f"```{fence}\n") + len(fence) + 4
    return rest[start:rest.index("```", start)]


def table_rows(heading: str) -> list[list[str]]:
    """The rows of the first table after `heading`, as lists of cell texts."""
    rest = DOC[DOC.index(heading):]
    lines = rest[rest.index("\n|"):].strip().splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))])
    return rows


def test_the_worked_signing_example_is_right():
    example = dict(re.findall(r"^(secret|timestamp|event id|body|signature):\s+(.*)$",
                              block("Worked example", "text"), re.M))
    computed = signature(example["secret"], example["timestamp"], example["event id"], example["body"].encode())
    assert computed == example["signature"]


def test_the_endpoint_table_matches_the_served_openapi_document():
    served = {(method.upper(), path) for path, ops in build_spec()["paths"].items() for method in ops}
    documented, planned = set(), set()
    for cells in table_rows("## Endpoints"):
        method, path = cells[0].strip("`").split(" ", 1)
        (documented if cells[-1] == "yes" else planned).add((method, path.split("?")[0]))
    documented.discard(("GET", "/console"))   # pages for people, not in the API document
    assert served - documented == set(), "served but not documented as served in docs/api.md"
    assert documented - served == set(), "documented as served in docs/api.md but not in /openapi.json"
    assert planned & served == set(), "served now: change 'not yet' to 'yes' in docs/api.md's endpoint table"


def _commands(p, trail=()) -> dict:
    """Every verb path ("operators add") → its argument parser."""
    found = {}
    for action in p._actions:
        if isinstance(getattr(action, "choices", None), dict):
            for name, child in action.choices.items():
                found[" ".join((*trail, name))] = child
                found.update(_commands(child, (*trail, name)))
    return found


def _has(commands: dict, usage: str) -> bool:
    """Whether the CLI has this usage's verb and every --option it names."""
    words = []
    for token in usage.split():
        if not re.fullmatch(r"[a-z]+", token):
            break
        words.append(token)
    command = commands.get(" ".join(words))
    if command is None:
        return False
    options = {o for action in command._actions for o in action.option_strings}
    return all(flag in options for flag in re.findall(r"--[a-z][a-z-]*", usage))


def test_the_verb_table_says_which_verbs_this_version_has():
    commands = _commands(parser())
    for cells in table_rows("## Command line"):
        for usage in re.findall(r"`([^`]+)`", cells[0]):
            if cells[-1] == "yes":
                assert _has(commands, usage), f"docs/api.md says `{usage}` exists, but the CLI does not have it"
            else:
                assert not _has(commands, usage), f"`{usage}` exists now: say 'yes' in docs/api.md's verb table"


@pytest.mark.skipif(any(shutil.which(tool) is None for tool in ("bash", "curl", "openssl")),
                    reason="the recipe needs bash, curl and openssl")
def test_the_live_signing_recipe_is_accepted_by_a_gateway(tmp_path, procs):
    server = procs.serve(bare_environ(tmp_path, DOWNSTREAM_SECRET="case-system-secret"))
    client = (tmp_path / "var" / "api-key").read_text().strip()
    auth = {"Authorization": f"Bearer {client}"}
    reference = requests.post(f"{server.base_url}/channels/app", json={"text": "江汉区青年路路灯坏了"},
                              headers={**auth, "Idempotency-Key": "doc-1"}, timeout=10).json()["reference"]
    wait_for(lambda: requests.get(f"{server.base_url}/api/v1/tickets/{reference}", headers=auth, timeout=5)
             .json()["case"], 30, "the first case")
    script = block("a live request you can send", "sh").replace("http://127.0.0.1:8000", server.base_url)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and '"applied":true' in done.stdout, (done.stdout, done.stderr)
    ticket = requests.get(f"{server.base_url}/api/v1/tickets/{reference}", headers=auth, timeout=5).json()
    assert ticket["case"]["status"] == "accepted"
