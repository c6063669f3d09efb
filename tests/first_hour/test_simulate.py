"""`python -m gateway simulate …` against a real `python -m gateway serve`, configured by the README's `.env`
lines: each of the four channels gets a signed message through and prints the reply the citizen would see."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys

from sqlalchemy import create_engine, select

from gateway.tables import tickets
from tests.first_hour.test_serve import bare_environ, readme_block
from tests.durability.support import free_port

REFERENCE = re.compile(r"编号 ([0-9A-Z]{5}-[0-9A-Z]{5})")


def readme_env_lines() -> str:
    """The `.env` lines of the README's "Try a channel", as written there."""
    block = readme_block("### Try a channel")
    return block[block.index("\n") + 1:block.rindex("END")]


def readme_simulate_commands() -> list[list[str]]:
    return [shlex.split(line)[1:] for line in readme_block("`simulate` then plays").splitlines()
            if line.startswith(".venv/bin/python -m gateway simulate")]


def run_cli(args: list[str], cwd, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def start(tmp_path, procs, dotenv: str):
    port = free_port()
    (tmp_path / ".env").write_text(dotenv + f"GATEWAY_PUBLIC_URL=http://127.0.0.1:{port}\n", encoding="utf-8")
    env = bare_environ(tmp_path)
    del env["GATEWAY_VAR_DIR"]   # var/ in the working directory, as for the README's reader
    procs.serve(env, port=port)
    return env


def test_each_channel_from_the_readme_gets_through_and_prints_its_reply(tmp_path, procs):
    env = start(tmp_path, procs, readme_env_lines())
    commands = readme_simulate_commands()
    assert [c[3] for c in commands] == ["wechat", "sms", "uplink", "hotline"]
    replies = {}
    for command in commands:
        done = run_cli(command, tmp_path, env)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        replies[command[3]] = done.stdout.strip()
    assert replies["wechat"].startswith("200 [safe mode] 您的诉求已受理")       # decrypted from the sealed reply
    assert replies["sms"].startswith("200 ") and REFERENCE.search(replies["sms"])
    assert replies["uplink"].startswith('200 {"code":0')
    assert replies["hotline"].startswith("201 ") and REFERENCE.search(replies["hotline"])

    engine = create_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    with engine.connect() as conn:
        rows = {r.reference: r for r in conn.execute(select(tickets.c.reference, tickets.c.channel, tickets.c.data))}
    engine.dispose()
    for channel in ("wechat", "sms", "hotline"):
        reference = REFERENCE.search(replies[channel]).group(1)
        assert rows[reference].channel == channel
    texts = {r.data["text"]: r.channel for r in rows.values()}
    assert texts == {c[4]: {"wechat": "wechat", "sms": "sms", "uplink": "sms", "hotline": "hotline"}[c[3]]
                     for c in commands}


def test_plain_mode_and_a_wrong_token_is_refused_with_the_reason(tmp_path, procs):
    env = start(tmp_path, procs, "WECHAT_TOKEN=server-token\nTWILIO_AUTH_TOKEN=server-twilio\n")
    plain = run_cli(["-m", "gateway", "simulate", "wechat", "路灯坏了"], tmp_path, env)
    assert plain.returncode == 0 and plain.stdout.startswith("200 [plain mode] 您的诉求已受理")

    wrong = dict(env, WECHAT_TOKEN="another-token", TWILIO_AUTH_TOKEN="another-twilio")  # the environment wins
    refused = run_cli(["-m", "gateway", "simulate", "wechat", "路灯坏了"], tmp_path, wrong)
    assert refused.returncode == 1 and refused.stdout.strip() == "403 signature_invalid: 签名校验失败"
    refused = run_cli(["-m", "gateway", "simulate", "sms", "路灯坏了"], tmp_path, wrong)
    assert refused.returncode == 1 and refused.stdout.startswith("403 ")


def test_a_channel_that_is_off_or_no_gateway_is_one_line(tmp_path):
    env = bare_environ(tmp_path, GATEWAY_PUBLIC_URL=f"http://127.0.0.1:{free_port()}")
    off = run_cli(["-m", "gateway", "simulate", "uplink", "路灯坏了"], tmp_path, env)
    assert off.returncode == 1 and off.stderr.strip().count("\n") == 0
    assert "GATEWAY_SMS_UPLINK_TOKEN is not set" in off.stderr
    nobody = run_cli(["-m", "gateway", "simulate", "wechat", "路灯坏了"], tmp_path, dict(env, WECHAT_TOKEN="t"))
    assert nobody.returncode == 1 and "no gateway answers" in nobody.stderr and "Traceback" not in nobody.stderr


def test_every_simulator_comes_from_a_registered_channel_and_others_are_refused(tmp_path):
    from gateway.registry import CHANNELS
    from gateway.simulate import simulators
    assert set(simulators()) == {"wechat", "sms", "uplink", "hotline", "dingtalk"}
    assert {name for spec in CHANNELS for name in spec.simulators} == set(simulators())
    unknown = run_cli(["-m", "gateway", "simulate", "line", "路灯坏了"], tmp_path, bare_environ(tmp_path))
    assert unknown.returncode == 1 and unknown.stderr.strip() == \
        "error: no simulator for 'line'; one of: dingtalk, hotline, sms, uplink, wechat"


def test_the_worked_example_channel_dingtalk_simulates_against_serve(tmp_path, procs):
    # docs/adding-a-channel.md's channel: switched on by its one variable, reached by `simulate dingtalk`.
    env = start(tmp_path, procs, "DINGTALK_APP_SECRET=dingtalk-secret-for-a-try\n")
    done = run_cli(["-m", "gateway", "simulate", "dingtalk", "汉阳区钟家村路灯坏了"], tmp_path, env)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stdout.startswith("200 您的诉求已受理") and REFERENCE.search(done.stdout)
    wrong = run_cli(["-m", "gateway", "simulate", "dingtalk", "路灯坏了"], tmp_path,
                    dict(env, DINGTALK_APP_SECRET="another-secret-entirely"))
    assert wrong.returncode == 1 and wrong.stdout.startswith("401 signature_invalid")
