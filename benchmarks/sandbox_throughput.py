"""Sandbox throughput: each sandbox's requests per second over TLS on loopback, against a bare uvicorn app.

Every sandbox is started as tests start it (`runner.start_sandbox`, its own process, real TLS, the rate
limit's clock a million times faster so it never refuses). The bare app is a raw ASGI app that answers a
constant JSON body, served by uvicorn in a process of its own with the same TLS setup (a trustme CA
from `sandbox/tls.py`, a socket from `server.bind`) and the uvicorn options of `sandbox/server.py` (no
access log, no lifespan, no server header; uvicorn's own `auto` protocol, without the sandbox's
stray-body wrapper around it).
Both are driven by one client, in a third process: httpx.AsyncClient over keep-alive HTTP/1.1 with
`--concurrency` connections, a warm-up, then `--seconds` of requests. Rounds alternate bare and sandbox.

Two rows per sandbox: `read` (the contract's probe GET with the sandbox's own key) and `write+read` (an
update of one seeded record, then a GET of it; each counts as two requests). The bare app gets the very
same requests (method, path, headers, body). Every answer must be the expected status, so a 429 or a 4xx
can never pass as speed.

Besides req/s, the server process's CPU time per request (user + system, from /proc) is printed, and
`cpu ratio` = bare µs / sandbox µs: the rate each server could reach on a core of its own. It does not
depend on the client. `client µs/req` is the client's own CPU per request against the sandbox: where it
exceeds the server's, req/s is the client's rate as much as the server's (on 2 cores, client and
server each get about one), and the CPU ratio is the server's alone.

The target: sandbox / bare at least 0.5 on every row, in req/s and in CPU.
Usage: python benchmarks/sandbox_throughput.py [--providers mite,hive] [--rounds 3] [--seconds 3]
       [--concurrency 8] [--root DIR]   (DIR: another checkout whose src/ to measure, e.g. the base commit)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The rate limit's clock this much faster. The tests' 10,000 is not enough here: eight connections' requests
# enter the middleware within microseconds of each other, beyond Mitwirken's 2 per 100 µs.
UNLIMITED = 1_000_000
BODY = b'{"ok":true}'

# read: the contract's probe; header, env, prefix: how the sandbox's own key is sent; write: (method, the list
# to find a seeded record in, that record's path, the update, how to find its id in the list).
PROVIDERS: dict[str, dict[str, Any]] = {
    "mite": {"read": "/myself.json", "header": "X-MiteApiKey", "env": "MITE_API_KEY", "prefix": "",
             "write": ("PATCH", "/customers.json", "/customers/{id}.json", {"customer": {"note": "bench"}},
                       lambda doc: doc[0]["customer"]["id"]), "write_status": 200},
    "mitwirken": {"read": "/members", "header": "Authorization", "env": "MITWIRKEN_API_KEY", "prefix": "Bearer ",
                  "write": ("PATCH", "/members", "/members/{id}", {"first_name": "Bench"},
                            lambda doc: doc["data"][0]["id"]), "write_status": 200},
    "hive": {"read": "/skus", "header": "Authorization", "env": "HIVE_API_KEY", "prefix": "Bearer ",
             "write": ("PATCH", "/skus", "/skus/{id}", {"name": "Bench"}, lambda doc: doc["data"][0]["id"]),
             "write_status": 200},
    "mstudio": {"read": "/v2/users/self/api-tokens", "header": "X-Access-Token", "env": "MSTUDIO_API_TOKEN",
                "prefix": "", "write": ("PUT", "/v2/users/self/api-tokens", "/v2/users/self/api-tokens/{id}",
                                        {"description": "bench"}, lambda doc: doc[0]["apiTokenId"]),
                "write_status": 204},
}


# ---------------------------------------------------------------- the bare server (a child process)

def serve_bare(state_dir: Path, ready: Path) -> None:
    """A raw ASGI app that reads the request's body and answers 200 and a constant, with the sandbox's TLS and
    uvicorn options."""
    import uvicorn

    from apiconform.sandbox.server import HOST, bind
    from apiconform.sandbox.tls import make_tls

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
        await send({"type": "http.response.body", "body": BODY})

    tls = make_tls(state_dir)
    sock = bind(0)
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, log_level="warning", access_log=False, lifespan="off",
                                           server_header=False, ssl_certfile=str(tls.cert_path),
                                           ssl_keyfile=str(tls.key_path)))

    async def main() -> None:  # uvicorn's own signal handling stops it on SIGTERM
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.02)
        ready.write_text(json.dumps({"url": f"https://{HOST}:{sock.getsockname()[1]}", "ca": str(tls.ca_path)}))
        await task

    asyncio.run(main())


# ---------------------------------------------------------------- the client (a child process)

def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def drive(spec: dict[str, Any]) -> dict[str, float]:
    """Send the spec's steps over `concurrency` keep-alive connections; count answers in the timed part."""
    import httpx

    concurrency, steps = spec["concurrency"], spec["steps"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=spec["url"], verify=httpx.create_ssl_context(verify=spec["ca"]),
                                 limits=limits, headers=spec["headers"], timeout=30) as client:
        counted = 0
        measuring = False
        bad: list[str] = []

        async def worker(stop_at: list[float]) -> None:
            nonlocal counted
            while time.perf_counter() < stop_at[0]:
                for method, path, body, status in steps:
                    answer = await client.request(method, path, json=body)
                    if answer.status_code != status:
                        bad.append(f"{method} {path}: {answer.status_code} {answer.text[:200]}")
                        return
                    if measuring:
                        counted += 1

        stop_at = [time.perf_counter() + spec["warmup"]]
        await asyncio.gather(*(worker(stop_at) for _ in range(concurrency)))
        measuring = True
        cpu, own, start = _cpu_seconds(spec["pid"]), time.process_time(), time.perf_counter()
        stop_at[0] = start + spec["seconds"]
        await asyncio.gather(*(worker(stop_at) for _ in range(concurrency)))
        elapsed, cpu, own = time.perf_counter() - start, _cpu_seconds(spec["pid"]) - cpu, time.process_time() - own
    if bad:
        raise SystemExit(f"unexpected answer: {bad[0]}")
    return {"rps": counted / elapsed, "cpu_us": 1e6 * cpu / counted, "client_us": 1e6 * own / counted}


# ---------------------------------------------------------------- the conductor

def _child_env(root: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root / "src"), env.get("PYTHONPATH", "")) if p)
    return env


def measure(spec: dict[str, Any], root: Path | None) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "_client", json.dumps(spec)], capture_output=True, text=True,
                          env=_child_env(root))
    if proc.returncode:
        raise SystemExit(f"client failed:\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout)


def start_bare(workdir: Path, root: Path | None) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    ready = workdir / "ready.json"
    process = subprocess.Popen([sys.executable, __file__, "_bare", str(workdir), str(ready)], env=_child_env(root),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the bare server did not start")
        time.sleep(0.05)
    return process, json.loads(ready.read_text())


def sandbox_steps(provider: str, env: dict[str, str], row: str) -> tuple[dict[str, Any], list[list[Any]]]:
    """The sandbox's URL/CA/headers and the row's requests (for write+read, an id found in the list first)."""
    import httpx

    p, prefix = PROVIDERS[provider], provider.upper()
    target = {"url": env[f"{prefix}_BASE_URL"], "ca": env[f"{prefix}_CA_BUNDLE"],
              "headers": {p["header"]: p["prefix"] + env[p["env"]]}}
    if row == "read":
        return target, [["GET", p["read"], None, 200]]
    method, listing, item, body, first_id = p["write"]
    with httpx.Client(base_url=target["url"], verify=httpx.create_ssl_context(verify=target["ca"]),
                      headers=target["headers"]) as client:
        answer = client.get(listing)
        answer.raise_for_status()
        path = item.format(id=first_id(answer.json()))
    return target, [[method, path, body, p["write_status"]], ["GET", path, None, 200]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    parser.add_argument("--rows", default="read,write+read")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--root", type=Path, help="measure the sandboxes of this checkout (its src/)")
    args = parser.parse_args()
    root = args.root.resolve() if args.root else None
    if root is not None:
        sys.path.insert(0, str(root / "src"))
    import apiconform
    from apiconform.sandbox.runner import start_sandbox
    print(f"sandbox throughput: {os.cpu_count()} cores shared by client and server; python {sys.version.split()[0]}; "
          f"apiconform from {Path(apiconform.__file__).parents[1]}")
    print(f"client: httpx.AsyncClient, {args.concurrency} keep-alive connections, {args.warmup:g} s warm-up, "
          f"{args.seconds:g} s timed, {args.rounds} rounds alternating bare/sandbox; medians")
    print(f"{'sandbox':<10} {'row':<10} {'bare req/s':>10} {'sandbox req/s':>13} {'ratio':>6} "
          f"{'bare µs/req':>11} {'sandbox µs/req':>14} {'cpu ratio':>9} {'client µs/req':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        bare, bare_target = start_bare(Path(tmp), root)
        try:
            for provider in args.providers.split(","):
                with start_sandbox(provider, rate_scale=UNLIMITED) as handle:
                    for row in args.rows.split(","):
                        target, steps = sandbox_steps(provider, handle.env, row)
                        bare_steps = [[method, path, body, 200] for method, path, body, _ in steps]  # same requests
                        common = {"concurrency": args.concurrency, "warmup": args.warmup, "seconds": args.seconds}
                        runs: dict[str, list[dict[str, float]]] = {"bare": [], "sandbox": []}
                        for _ in range(args.rounds):
                            runs["bare"].append(measure({**common, **bare_target, "headers": target["headers"],
                                                         "pid": bare.pid, "steps": bare_steps}, root))
                            runs["sandbox"].append(measure({**common, **target, "pid": handle.pid, "steps": steps},
                                                           root))
                        med = {k: {m: statistics.median(r[m] for r in v) for m in ("rps", "cpu_us", "client_us")}
                               for k, v in runs.items()}
                        bare_, box = med["bare"], med["sandbox"]
                        print(f"{provider:<10} {row:<10} {bare_['rps']:>10.0f} {box['rps']:>13.0f} "
                              f"{box['rps'] / bare_['rps']:>6.2f} {bare_['cpu_us']:>11.0f} {box['cpu_us']:>14.0f} "
                              f"{bare_['cpu_us'] / box['cpu_us']:>9.2f} {box['client_us']:>13.0f}", flush=True)
        finally:
            bare.send_signal(signal.SIGTERM)
            bare.wait(10)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        serve_bare(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_client":
        print(json.dumps(asyncio.run(drive(json.loads(sys.argv[2])))))
    else:
        main()
