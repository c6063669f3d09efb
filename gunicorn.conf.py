"""gunicorn settings for the gateway's web processes: `gunicorn -c gunicorn.conf.py wsgi:app`.

Sized for a small machine that also runs the pipeline workers (the 2-core box of docs/operations.md). Every value
can be changed without editing this file: GATEWAY_BIND, GATEWAY_WEB_WORKERS, GATEWAY_WEB_THREADS.
"""
import os

bind = os.environ.get("GATEWAY_BIND", "0.0.0.0:8000")

# One process per core: a request is mostly waiting for PostgreSQL's commit, which the threads of a process
# overlap, and the pipeline workers (niced, see `python -m gateway worker`) take the cores' idle time.
# More processes than cores only add context switches and database connections.
workers = int(os.environ.get("GATEWAY_WEB_WORKERS", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_WEB_THREADS", 8))

# Clients (the app, partner platforms, WeChat) keep their connections open: no handshake per report.
keepalive = 15
# Room for a burst of connections while every thread is busy (the kernel queues them, nobody is refused).
backlog = 2048
# A request never takes this long (database calls end after 3 s, see [store] deadline_seconds): a worker that
# does is stuck and is replaced.
timeout = 30
graceful_timeout = 20
# The workers' heartbeat files on tmpfs: a slow disk must not make the arbiter kill a healthy worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Each worker builds its own database pool and Redis client after the fork (nothing shared by accident).
preload_app = False
# Access logs cost a write per request; the gateway logs what matters itself.
accesslog = None
errorlog = "-"
