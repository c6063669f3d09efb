"""Embedded mode: a job that keeps failing is set aside with a backoff; the other jobs and the pipeline go on."""
from __future__ import annotations

from gateway import embedded
from gateway.embedded import Backoff, run_pending


def test_a_failing_job_does_not_hold_up_the_others(gateway, case_system, monkeypatch):
    ran: list[int] = []

    def job(arg: int, runtime=None):
        if arg == 1:
            raise RuntimeError("a bug meets odd data")
        ran.append(arg)

    due = [("flaky_job", n, False) for n in (1, 2, 3)]
    monkeypatch.setitem(embedded.JOB_FUNCTIONS, "flaky_job", job)
    monkeypatch.setattr(embedded, "pending_work", lambda runtime: [w for w in due if w[1] not in ran])
    reference = gateway.post_app({"text": "江汉区某路口信号灯不亮"}).json["reference"]
    backoff = Backoff(base=60)
    run_pending(gateway.runtime, backoff=backoff)
    assert sorted(ran) == [2, 3]                                  # the ones after the failing one ran
    assert [e["report"]["reference"] for e in case_system.accepted()] == [reference]   # and the pipeline
    assert not backoff.ready(("flaky_job", 1)) and backoff.failures[("flaky_job", 1)] == 1
    run_pending(gateway.runtime, backoff=backoff)                 # backing off: not tried again yet
    assert backoff.failures[("flaky_job", 1)] == 1
