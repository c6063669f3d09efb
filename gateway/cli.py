"""The command line: `python -m gateway serve | worker | deliveries | dedupe | dispatch | import | operators`."""
from __future__ import annotations

import argparse
import errno
import logging
import os
import shlex
import socket
import sys

from config import load_settings
from config.settings import ConfigError


def port_in_use(host: str, port: int) -> str | None:
    """Why `serve` cannot listen on host:port (in use, unknown host …), or None when it can."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        return f"cannot listen on {host}:{port}: unknown host ({exc.strerror})"
    with socket.socket(family, kind, proto) as probe:
        # The same option waitress sets, so a port left in TIME_WAIT by a stopped gateway counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"cannot listen on {host}:{port}: the port is already in use (another gateway?); "
                        f"stop that process or choose another port with --port N")
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def _serve(args) -> int:
    from waitress import serve

    port = args.port or int(os.environ.get("PORT") or 8000)
    # Checked before the database is touched, so a second `serve` says so in one line instead of a traceback.
    problem = port_in_use(args.host, port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1

    from gateway.app import create_app
    from gateway.local_key import ensure_local_keys, local_key_paths
    from gateway.runtime import build_runtime

    settings, local = ensure_local_keys(load_settings())
    runtime = build_runtime(settings)
    app = create_app(runtime=runtime)
    print(f"Gateway listening on http://{args.host}:{port} ({'embedded' if settings.embedded else 'production'} mode)",
          flush=True)
    if local:
        paths = local_key_paths(settings)
        print(f"GATEWAY_API_KEYS is not set: local client key in {paths['client']}, "
              f"local operator key in {paths['operator']}", flush=True)
        print(f"  try: curl -H \"Authorization: Bearer $(cat {shlex.quote(str(paths['client']))})\" "
              f"-H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' "
              f"-d '{{\"text\": \"小区门口路灯坏了\"}}' http://{args.host}:{port}/channels/app", flush=True)
    # waitress would otherwise spool bodies up to 1 GB to disk before the app can say 413.
    limit = settings.section("attachments").get("max_bytes", 20971520) + 1048576
    serve(app, host=args.host, port=port, threads=8, ident="gateway", max_request_body_size=limit)
    return 0


def _worker(args) -> int:
    from gateway.runtime import build_runtime, install, worker_pool_size
    from gateway.worker import freeze_start_up, lower_priority, run_worker

    settings = load_settings()
    if settings.embedded:
        print("GATEWAY_REDIS_URL is not set: in embedded mode `serve` runs the pipeline itself.", file=sys.stderr)
        return 2
    runtime = build_runtime(settings, pool_size=worker_pool_size(settings))
    install(runtime)
    lower_priority(runtime)
    freeze_start_up()
    run_worker(runtime, burst=args.burst)
    return 0


def _replay(args) -> int:
    from gateway.delivery import replay_dead
    from gateway.runtime import build_runtime

    runtime = build_runtime(load_settings())
    count = replay_dead(runtime, args.event or None)
    print(f"{count} dead-lettered event(s) put back in line")
    return 0


def _dedupe_cluster(args) -> int:
    from dedupe.cluster import run_cluster

    settings = load_settings()
    run_cluster(args.input, sys.stdout, settings.profile, args.window_days)
    return 0


def _dedupe_evaluate(args) -> int:
    from dedupe.cluster import run_evaluate

    if not args.pairs and not args.truth:
        print("error: give --pairs PAIRS.jsonl or --truth", file=sys.stderr)
        return 2
    settings = load_settings()
    run_evaluate(args.corpus, None if args.truth else args.pairs, sys.stdout, settings.profile, args.window_days,
                 drop_titles=args.without_titles)
    return 0


def _dedupe_fit(args) -> int:
    from dedupe.fit import run_fit

    if len(args.pairs or []) > len(args.corpus):
        print("error: one --pairs per --corpus at most (a corpus without one is read by its truth)", file=sys.stderr)
        return 2
    settings = load_settings()
    return run_fit(args.corpus, args.pairs or [], args.out, settings.profile)


def _dispatch_evaluate(args) -> int:
    from gateway.dispatch_cli import run_evaluate

    try:
        run_evaluate(load_settings(), args.replay, sys.stdout, args.json)
    except (OSError, ValueError) as exc:
        print(f"dispatch evaluate: {exc}", file=sys.stderr)
        return 2
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _operators_add(args) -> int:
    from gateway.operators import OperatorError, add_operator
    from gateway.store import make_engine, migrate

    settings = load_settings()
    try:
        password = _read_password(args.password_stdin)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        operator = add_operator(engine, args.name, args.role, password)
    except OperatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"operator {operator.name} ({operator.role}) created; sign in at /console")
    return 0


def _change_operator(change, done: str) -> int:
    from gateway.operators import OperatorError
    from gateway.store import make_engine, migrate

    engine = make_engine(load_settings().database_url)
    migrate(engine)
    try:
        change(engine)
    except OperatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(done)
    return 0


def _retention_run(args) -> int:
    from gateway.retention import erase_personal_data
    from gateway.runtime import build_runtime

    runtime = build_runtime(load_settings())
    try:
        erased = erase_personal_data(runtime, args.days)
    finally:
        runtime.engine.dispose()
    print(f"erased the contact details and raw payloads of {erased} reports of closed cases")
    return 0


def _operators_passwd(args) -> int:
    from gateway.operators import set_password

    try:
        password = _read_password(args.password_stdin)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _change_operator(lambda engine: set_password(engine, args.name, password),
                            f"password of {args.name} changed; its sessions are ended")


def _operators_disable(args) -> int:
    from gateway.operators import disable_operator

    return _change_operator(lambda engine: disable_operator(engine, args.name),
                            f"operator {args.name} disabled; its sessions are ended")


def _import_hotline(args) -> int:
    from gateway.hotline.csv_import import run_import
    from gateway.runtime import build_runtime

    runtime = build_runtime(load_settings())
    try:
        return run_import(runtime, args.file, encoding=args.encoding, skip_invalid=args.skip_invalid)
    finally:
        runtime.engine.dispose()


def _simulate(args) -> int:
    from gateway.simulate import SimulationError, simulate

    try:
        outcome = simulate(args.channel, args.text, load_settings(), url=args.url, sender=args.sender)
    except SimulationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{outcome.status} {outcome.reply}")
    return 0 if outcome.ok else 1


def parser() -> argparse.ArgumentParser:
    """The argument parser, one sub-command per verb."""
    p = argparse.ArgumentParser(prog="python -m gateway", description="Citizen-appeal intake gateway")
    sub = p.add_subparsers(dest="verb", required=True)
    serve = sub.add_parser(
        "serve", help="run the gateway (embedded defaults when nothing is configured)",
        description="Run the gateway's HTTP server with whatever configuration the environment and .env set. "
                    "Without GATEWAY_REDIS_URL it is embedded: SQLite under var/ and the pipeline in this process. "
                    "Without GATEWAY_API_KEYS it makes a local client key (var/api-key) and a local operator key "
                    "(var/operator-key).")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on; 0.0.0.0 for every interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None,
                       help="port to listen on (default: the PORT environment variable, else 8000)")
    serve.set_defaults(run=_serve)
    worker = sub.add_parser("worker", help="a pipeline worker (RQ) for GATEWAY_REDIS_URL")
    worker.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    worker.set_defaults(run=_worker)
    deliveries = sub.add_parser("deliveries", help="case-system deliveries")
    dsub = deliveries.add_subparsers(dest="action", required=True)
    replay = dsub.add_parser("replay", help="re-send dead-lettered events")
    replay.add_argument("--event", action="append", help="only this event id (repeatable)")
    replay.set_defaults(run=_replay)
    dedupe = sub.add_parser("dedupe", help="run the live dedupe over a file of reports (nothing is stored)")
    dedsub = dedupe.add_subparsers(dest="action", required=True)
    cluster = dedsub.add_parser("cluster", help="one {id, case_id} JSON line per report, in received_at order")
    cluster.add_argument("input", metavar="IN.jsonl")
    cluster.add_argument("--window-days", type=float, default=None, help="only cases this recent are candidates")
    cluster.set_defaults(run=_dedupe_cluster)
    evaluate = dedsub.add_parser("evaluate", help="precision, recall and F1 against labelled pairs or truth, "
                                                  "candidate recall, and the bigram-Jaccard baseline")
    evaluate.add_argument("--corpus", required=True, metavar="IN.jsonl")
    which = evaluate.add_mutually_exclusive_group(required=True)
    which.add_argument("--pairs", metavar="PAIRS.jsonl")
    which.add_argument("--truth", action="store_true", help="the corpus lines carry `truth` (one case per value)")
    evaluate.add_argument("--without-titles", action="store_true", help="every title removed (SMS, WeChat, hotline)")
    evaluate.add_argument("--window-days", type=float, default=None)
    evaluate.set_defaults(run=_dedupe_evaluate)
    fit = dedsub.add_parser("fit", help="fit the scorer on labelled corpora; writes [dedupe.model] as TOML")
    fit.add_argument("--corpus", action="append", required=True, metavar="IN.jsonl",
                     help="repeatable; the n-th --pairs goes with the n-th --corpus, a corpus without one is read "
                          "by its `truth`")
    fit.add_argument("--pairs", action="append", metavar="PAIRS.jsonl")
    fit.add_argument("--truth", action="store_true", help="(the corpora without --pairs carry `truth`)")
    fit.add_argument("--out", metavar="FILE.toml", default=None, help="default: standard output")
    fit.set_defaults(run=_dedupe_fit)
    dispatch = sub.add_parser("dispatch", help="dispatch suggestions")
    dispatch_sub = dispatch.add_subparsers(dest="action", required=True)
    dispatch_eval = dispatch_sub.add_parser(
        "evaluate", help="replay past cases in time order; top-1/top-3 accuracy of table, learned and both")
    dispatch_eval.add_argument("--replay", metavar="FILE",
                               help="JSON lines {received_at, unit, text, title?, category?, district?} "
                                    "(default: the store's cases that have a unit)")
    dispatch_eval.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    dispatch_eval.set_defaults(run=_dispatch_evaluate)
    imports = sub.add_parser("import", help="bulk imports")
    isub = imports.add_subparsers(dest="action", required=True)
    hotline = isub.add_parser("hotline", help="keyed-in calls from a CSV file (columns named as the hotline fields)")
    hotline.add_argument("file", metavar="FILE.csv")
    hotline.add_argument("--encoding", default=None, help="the file's encoding (default: UTF-8, else GB18030)")
    hotline.add_argument("--skip-invalid", action="store_true",
                         help="import the valid rows even if some rows are invalid (default: import nothing)")
    hotline.set_defaults(run=_import_hotline)
    simulate = sub.add_parser(
        "simulate", help="send one correctly signed message to a running gateway and print the reply",
        description="Send TEXT to a running gateway as the channel's sender would (WeChat's servers, Twilio, a "
                    "domestic SMS uplink push, the call-center system), signed with the same configuration "
                    "(.env and the environment) the gateway reads, and print the reply the citizen would get.")
    # No `choices`: the simulators are the registered channels', and loading the registry would slow every verb.
    simulate.add_argument("channel", metavar="CHANNEL",
                          help="wechat; sms (Twilio); uplink (domestic SMS push); hotline; any other registered one")
    simulate.add_argument("text", metavar="TEXT", help="what the citizen says")
    simulate.add_argument("--url", default=None, help="the gateway's address (default: GATEWAY_PUBLIC_URL, "
                                                      "else http://127.0.0.1:8000)")
    simulate.add_argument("--from", dest="sender", default=None,
                          help="the sender: an openid for wechat, a phone number otherwise (default: a made-up one)")
    simulate.set_defaults(run=_simulate)
    operators = sub.add_parser("operators", help="console accounts")
    osub = operators.add_subparsers(dest="action", required=True)
    add = osub.add_parser("add", help="create a console account (asks for the password)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=("operator", "supervisor", "admin"))
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.set_defaults(run=_operators_add)
    retention = sub.add_parser("retention", help="personal data past the retention period")
    rsub = retention.add_subparsers(dest="action", required=True)
    erase = rsub.add_parser("run", help="erase contact details and raw payloads of cases closed long ago")
    erase.add_argument("--days", type=float, default=None,
                       help="closed more than this many days ago (default: the profile's [retention] contact_days)")
    erase.set_defaults(run=_retention_run)
    passwd = osub.add_parser("passwd", help="change an account's password (asks for it); its sessions end")
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    passwd.set_defaults(run=_operators_passwd)
    disable = osub.add_parser("disable", help="disable an account; its sessions end")
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(run=_operators_disable)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one verb."""
    logging.basicConfig(level=os.environ.get("GATEWAY_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `dedupe cluster … | head`: the reader has had enough; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
