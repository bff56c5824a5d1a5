"""Run Schemathesis against a running safetrain server, once per role and once anonymously.

Started by ./fuzz (which makes the venv); see the README.md beside this file.
Exit code: 0 only when every run passed.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ST = HERE / ".venv" / "bin" / "schemathesis"

# GB 32100 unified social credit code: the 18th character is a check character.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(rng: random.Random) -> str:
    body = "91440100" + f"{rng.randrange(10**9):09d}"
    total = sum(CREDIT_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + CREDIT_CHARSET[(31 - total % 31) % 31]


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        sys.exit(f"fuzz: set {name}")
    return value


def log(msg: str) -> None:
    print(msg, flush=True)


class Server:
    def __init__(self, url: str, binary: str, data_dir: str) -> None:
        self.url = url.rstrip("/")
        self.binary = binary
        self.data_dir = data_dir

    def token(self, role: str, *extra: str) -> str:
        cmd = [self.binary, "token", "--role", role, *extra, "--data-dir", self.data_dir]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def request(self, method: str, path: str, token: str | None = None, body: object = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                status, _ = self.request("GET", "/readyz")
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"fuzz: {self.url}/readyz did not answer 200 within {seconds:.0f}s")
            time.sleep(0.5)


def create_institution(server: Server, rng: random.Random) -> str:
    """File an institution in Guangzhou as its city admin; its admin is one of the roles."""
    token = server.token("city_admin", "--city", "440100")
    for _ in range(5):
        body = {
            "name": f"契约测试培训学校{rng.randrange(10**6):06d}",
            "credit_code": credit_code(rng),
            "city_code": "440100",
            "registered_address": "广州市天河区体育西路1号",
            "office_address": "广州市天河区体育西路1号3楼",
            "legal_representative": "张三",
            "contact_name": "李四",
            "contact_phone": "13812345678",
            "business_term_end": None,
            "platform_url": "https://training.example.cn",
            "introduction": "契约测试用机构。",
        }
        status, answer = server.request("POST", "/api/v1/institutions", token, body)
        if status == 201:
            return answer["id"]
        if status != 409:  # 409: the random credit code is taken; draw another
            break
    sys.exit(f"fuzz: could not create the institution for institution_admin: {status} {answer}")


def main() -> int:
    url = env("SAFETRAIN_URL")
    server = Server(url, env("SAFETRAIN_BIN"), env("SAFETRAIN_DATA_DIR"))
    out_dir = os.environ.get("OUT_DIR")
    seed = int(os.environ.get("FUZZ_SEED", "20261129"))
    max_examples = os.environ.get("FUZZ_MAX_EXAMPLES", "50")
    wanted = os.environ.get("FUZZ_ROLES", "").split()
    extra = shlex.split(os.environ.get("FUZZ_EXTRA_ARGS", ""))
    # The schema as the server serves it, unless FUZZ_SCHEMA names another (a file, for trying
    # a spec change before the server has it).
    schema = os.environ.get("FUZZ_SCHEMA") or f"{server.url}/api-docs/openapi.json"
    rng = random.Random(seed)

    server.wait_ready()
    institution = create_institution(server, rng)
    log(f"fuzz: institution for institution_admin: {institution}")

    runs: list[tuple[str, list[str]]] = [
        ("province_admin", []),
        ("city_admin", ["--city", "440100"]),
        ("institution_admin", ["--institution", institution]),
        ("platform_operator", []),
        ("learner", []),
        ("auditor", []),
        ("data_consumer", []),
        ("anonymous", []),
    ]
    # Tiered: the roles that reach few operations (most answer them 403 or 401 before the
    # body is read) get fewer examples; the roles that write get them all.
    narrow = {"learner", "auditor", "data_consumer", "anonymous"}
    narrow_examples = str(min(int(max_examples), int(os.environ.get("FUZZ_NARROW_EXAMPLES", "20"))))
    if wanted:
        runs = [r for r in runs if r[0] in wanted]

    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    # Runs go two at a time (FUZZ_PARALLEL): each Schemathesis process keeps one core busy
    # while the server needs little, so two cores finish in about half the time. A run's
    # output is kept apart and printed whole when it ends, so runs do not interleave.
    parallel = max(1, int(os.environ.get("FUZZ_PARALLEL", "2")))
    child_env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "safetrain_hooks",
        # The institution_admin's own institution, for the hooks' test data.
        "SAFETRAIN_FUZZ_INSTITUTION": institution,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    results: list[tuple[str, int, float]] = []
    started = time.monotonic()
    pending = list(runs)
    running: list[tuple[str, subprocess.Popen, object, float, str]] = []
    while pending or running:
        while pending and len(running) < parallel:
            role, args = pending.pop(0)
            cmd = [
                str(ST), "--config-file", str(HERE / "schemathesis.toml"),
                "run", schema,
                "--url", server.url,
                "--checks", "all",
                "--phases", "examples,coverage,fuzzing,stateful",
                "--mode", "all",
                "--seed", str(seed),
                "--max-examples", narrow_examples if role in narrow else max_examples,
                "--workers", "1",
                # A guard against hangs, not a speed check (scripts/bench measures speed): the
                # auditor's full-chain verification reads every record the other runs wrote,
                # over 10 s in a debug build on a loaded 2-core machine.
                "--request-timeout", "30",
                "--generation-database", "none",
                "--no-color",
            ]  # fmt: skip
            shown = list(cmd)
            if role != "anonymous":
                token = server.token(role, *args)
                cmd += ["-H", f"Authorization: Bearer {token}"]
                shown += ["-H", "'Authorization: Bearer <token>'"]
            if out_dir:
                junit = str(Path(out_dir) / f"schemathesis-{role}.xml")
                cmd += ["--report", "junit", "--report-junit-path", junit]
                shown += ["--report", "junit", "--report-junit-path", junit]
            cmd += extra
            shown += extra
            header = f"\n===== fuzz as {role}{' ' + ' '.join(args) if args else ''}\n{' '.join(shown)}"
            output = tempfile.TemporaryFile(mode="w+")
            child = subprocess.Popen(
                cmd, cwd=HERE, env={**child_env, "SAFETRAIN_FUZZ_ROLE": role}, stdout=output, stderr=subprocess.STDOUT
            )
            running.append((role, child, output, time.monotonic(), header))
        time.sleep(0.5)
        for entry in list(running):
            role, child, output, t0, header = entry
            rc = child.poll()
            if rc is None:
                continue
            running.remove(entry)
            output.seek(0)
            log(header)
            sys.stdout.write(output.read())
            sys.stdout.flush()
            output.close()
            results.append((role, rc, time.monotonic() - t0))

    log("\n===== fuzz summary")
    for role, rc, secs in results:
        log(f"  {role:<18} {'PASS' if rc == 0 else f'FAIL (exit {rc})':<14} {secs:6.1f}s")
    failed = sum(1 for _, rc, _ in results if rc != 0)
    log(f"fuzz: seed {seed}, max examples {max_examples}, {time.monotonic() - started:.0f}s in all")
    log(f"fuzz: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
