"""End-to-end scenario against a live safetrain server, through the generated Python client.

The client package ``safetrain_client`` is generated from openapi/openapi.json by
openapi-python-client into ``generated/`` (see ../run); it must not be edited by hand.

Env: SAFETRAIN_URL (e.g. http://127.0.0.1:18090), SAFETRAIN_BIN (the server binary, used to mint
tokens with ``safetrain token``) and SAFETRAIN_DATA_DIR (the server's data dir).
Exits non-zero on the first failed step.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from typing import TypeVar

from safetrain_client import AuthenticatedClient, Client
from safetrain_client.api.audit import list_audit_logs
from safetrain_client.api.institutions import change_institution_status, create_institution
from safetrain_client.api.registry import list_city_registry
from safetrain_client.models import (
    Institution,
    InstitutionCreate,
    InstitutionStatus,
    AuditLogPage,
    RegistryEntryPage,
    Problem,
    StatusChangeRequest,
)
from safetrain_client.types import UNSET, Response, Unset

CITY = "440100"
GB32100_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

T = TypeVar("T")


class ScenarioError(Exception):
    pass


def step(message: str) -> None:
    print(f"[python] {message}", flush=True)


def check(condition: object, message: str) -> None:
    if not condition:
        raise ScenarioError(f"assertion failed: {message}")


def need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ScenarioError(f"{name} is not set")
    return value


def expect(response: Response[T | Problem], status: int, kind: type[T]) -> T:
    """Returns the parsed body when the answer has the expected status and type, else raises
    with the RFC 9457 problem the server sent."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, kind):
        if isinstance(parsed, Problem):
            fields = ", ".join(f"{e.field}/{e.rule}" for e in parsed.errors)
            what = f"{parsed.code}: {parsed.detail}" + (f" [{fields}]" if fields else "")
        else:
            what = response.content.decode("utf-8", "replace")
        raise ScenarioError(f"expected HTTP {status}, got {int(response.status_code)}: {what}")
    return parsed


def mint_token(bin_path: str, data_dir: str, *args: str) -> str:
    """Mints a platform token with ``safetrain token`` (HS256, signed with the data dir's key)."""
    out = subprocess.run(
        [bin_path, "token", *args, "--data-dir", data_dir],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.strip()
    check(out.count(".") == 2, f"safetrain token printed a JWT (got {out!r})")
    return out


def credit_code_check_char(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters of a unified social credit code."""
    check(len(first17) == 17, "17 characters")
    total = sum(GB32100_CHARSET.index(ch) * pow(3, i, 31) for i, ch in enumerate(first17))
    return GB32100_CHARSET[(31 - total % 31) % 31]


def random_credit_code() -> str:
    first17 = "91" + CITY + "".join(secrets.choice("0123456789") for _ in range(9))
    return first17 + credit_code_check_char(first17)


def main() -> None:
    base_url = need("SAFETRAIN_URL").rstrip("/")
    bin_path = need("SAFETRAIN_BIN")
    data_dir = need("SAFETRAIN_DATA_DIR")

    admin_token = mint_token(bin_path, data_dir, "--role", "city_admin", "--city", CITY, "--sub", "client-demo")
    auditor_token = mint_token(bin_path, data_dir, "--role", "auditor", "--sub", "client-demo-auditor")
    step("minted city_admin and auditor tokens")

    with (
        AuthenticatedClient(base_url=base_url, token=admin_token) as admin,
        AuthenticatedClient(base_url=base_url, token=auditor_token) as auditor,
        Client(base_url=base_url) as anonymous,
    ):
        # (a) Create an institution as the city admin, with an Idempotency-Key.
        credit_code = random_credit_code()
        body = InstitutionCreate(
            name=f"Python 客户端示例培训学校 {credit_code}",
            credit_code=credit_code,
            city_code=CITY,
            registered_address="广州市天河区体育西路1号",
            office_address="广州市天河区体育西路1号3楼",
            legal_representative="张三",
            contact_name="李四",
            contact_phone="13812345678",
            business_term_end=None,
            platform_url="https://training.example.cn/python-client",
            introduction="Created by tests/clients/python (openapi-python-client).",
        )
        key = f"python-client-{uuid.uuid4()}"
        created = expect(
            create_institution.sync_detailed(client=admin, body=body, idempotency_key=key), 201, Institution
        )
        check(created.status == InstitutionStatus.APPLIED, f"a new institution is applied (got {created.status})")
        check(created.credit_code == credit_code, "the answer echoes the credit code")
        step(f"(a) POST /api/v1/institutions -> 201, id {created.id}, credit_code {credit_code}")

        # Retrying with the same key and body replays the first answer and creates nothing.
        replay = create_institution.sync_detailed(client=admin, body=body, idempotency_key=key)
        replayed = expect(replay, 201, Institution)
        check(replayed.id == created.id, "an idempotent replay answers the same institution")
        check(replay.headers.get("Idempotent-Replayed") == "true", "the replay is marked Idempotent-Replayed: true")
        step("    retry with the same Idempotency-Key -> replayed, same id")

        # Errors are parsed RFC 9457 problems: a wrong check character answers 400 validation_failed.
        bad_body = InstitutionCreate.from_dict(
            {**body.to_dict(), "credit_code": credit_code[:17] + ("1" if credit_code.endswith("0") else "0")}
        )
        bad = create_institution.sync_detailed(client=admin, body=bad_body)
        check(bad.status_code == 400, f"a bad credit code answers 400 (got {int(bad.status_code)})")
        check(isinstance(bad.parsed, Problem), "the answer is a problem")
        assert isinstance(bad.parsed, Problem)
        check(bad.parsed.code == "validation_failed", "the problem's code is validation_failed")
        check(any(e.field == "credit_code" for e in bad.parsed.errors), "the problem names credit_code")
        step(f"    bad check character -> 400 {bad.parsed.code} ({bad.parsed.detail})")

        # (b) Register it.
        registered = expect(
            change_institution_status.sync_detailed(
                id=created.id,
                client=admin,
                body=StatusChangeRequest(
                    status=InstitutionStatus.REGISTERED, reason="材料齐全，准予登记 (python client scenario)"
                ),
            ),
            200,
            Institution,
        )
        check(registered.status == InstitutionStatus.REGISTERED, f"status is registered (got {registered.status})")
        check(registered.registered_at is not None, "registered_at is set")
        step("(b) POST /api/v1/institutions/{id}/status registered -> 200")

        # (c) Page through the public registry (no token) until next_cursor is null.
        cursor: str | Unset = UNSET
        pages = seen = 0
        found = False
        while True:
            page = expect(
                list_city_registry.sync_detailed(code=CITY, client=anonymous, limit=2, cursor=cursor),
                200,
                RegistryEntryPage,
            )
            pages += 1
            seen += len(page.items)
            check(len(page.items) <= 2, "a page holds at most `limit` items")
            found = found or any(e.id == created.id and e.credit_code == credit_code for e in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            check(pages <= 100_000, "the registry ends")
        check(found, f"institution {created.id} is in the public registry of {CITY}")
        step(f"(c) GET /api/v1/cities/{CITY}/institutions?limit=2 -> {pages} page(s), {seen} entries, new one found")

        # (d) The creation is in the audit log (writes are audited in the same transaction).
        logs = []
        cursor = UNSET
        while True:
            log_page = expect(
                list_audit_logs.sync_detailed(
                    client=auditor, resource_type="institution", resource_id=str(created.id), cursor=cursor
                ),
                200,
                AuditLogPage,
            )
            logs.extend(log_page.items)
            if log_page.next_cursor is None:
                break
            cursor = log_page.next_cursor
        record = next((log for log in logs if log.method == "POST" and log.status == 201), None)
        check(record is not None, f"an audit record with POST and 201 exists for {created.id} (got {len(logs)})")
        assert record is not None
        check(
            record.actor is not None and record.actor.subject == "client-demo",
            "the audit record names the city admin",
        )
        step(
            f"(d) GET /api/v1/audit-logs?resource_type=institution&resource_id={created.id} "
            f"-> {len(logs)} record(s), POST 201 found"
        )

    step("scenario passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - report any failure as a failed scenario
        print(f"[python] FAILED: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        sys.exit(1)
