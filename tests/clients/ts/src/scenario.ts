// End-to-end scenario against a live safetrain server, through the generated TypeScript client.
//
// Env: SAFETRAIN_URL (e.g. http://127.0.0.1:18090), SAFETRAIN_BIN (the server binary, used to
// mint tokens with `safetrain token`) and SAFETRAIN_DATA_DIR (the server's data dir).
// Exits non-zero on the first failed step.

import { execFileSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { env, exit } from "node:process";
import {
  type AuditLog,
  type InstitutionCreate,
  type Schemas,
  makeClient,
  ProblemError,
  expectStatus,
} from "./client.js";

const CITY = "440100";

function need(name: string): string {
  const value = env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new Error(`assertion failed: ${message}`);
  }
}

function step(message: string): void {
  console.log(`[ts] ${message}`);
}

/** Mints a platform token with `safetrain token` (HS256, signed with the data dir's key). */
function mintToken(bin: string, dataDir: string, args: string[]): string {
  const out = execFileSync(bin, ["token", ...args, "--data-dir", dataDir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const token = out.trim();
  assert(token.split(".").length === 3, `safetrain token printed a JWT (got ${JSON.stringify(out)})`);
  return token;
}

/** GB 32100-2015 check character of the first 17 characters of a unified social credit code. */
function creditCodeCheckChar(first17: string): string {
  const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  assert(first17.length === 17, "17 characters");
  let sum = 0;
  let weight = 1; // 3^i mod 31
  for (const ch of first17) {
    const value = charset.indexOf(ch);
    assert(value >= 0, `credit code character ${ch} is in the GB 32100 charset`);
    sum += value * weight;
    weight = (weight * 3) % 31;
  }
  return charset[(31 - (sum % 31)) % 31]!;
}

function randomCreditCode(): string {
  let first17 = `91${CITY}`;
  for (let i = 0; i < 9; i++) {
    first17 += String(randomInt(10));
  }
  return first17 + creditCodeCheckChar(first17);
}

async function main(): Promise<void> {
  const baseUrl = need("SAFETRAIN_URL");
  const bin = need("SAFETRAIN_BIN");
  const dataDir = need("SAFETRAIN_DATA_DIR");

  const adminToken = mintToken(bin, dataDir, ["--role", "city_admin", "--city", CITY, "--sub", "client-demo"]);
  const auditorToken = mintToken(bin, dataDir, ["--role", "auditor", "--sub", "client-demo-auditor"]);
  const admin = makeClient(baseUrl, adminToken);
  const auditor = makeClient(baseUrl, auditorToken);
  const anonymous = makeClient(baseUrl);
  step("minted city_admin and auditor tokens");

  // (a) Create an institution as the city admin, with an Idempotency-Key.
  const creditCode = randomCreditCode();
  const body: InstitutionCreate = {
    name: `TS 客户端示例培训学校 ${creditCode}`,
    credit_code: creditCode,
    city_code: CITY,
    registered_address: "广州市天河区体育西路1号",
    office_address: "广州市天河区体育西路1号3楼",
    legal_representative: "张三",
    contact_name: "李四",
    contact_phone: "13812345678",
    business_term_end: null,
    platform_url: "https://training.example.cn/ts-client",
    introduction: "Created by tests/clients/ts (openapi-typescript + openapi-fetch).",
  };
  const idempotencyKey = `ts-client-${randomUUID()}`;
  const createResult = await admin.POST("/api/v1/institutions", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body,
  });
  const created = expectStatus(createResult, 201);
  assert(created.status === "applied", `a new institution is applied (got ${created.status})`);
  assert(created.credit_code === creditCode, "the answer echoes the credit code");
  step(`(a) POST /api/v1/institutions -> 201, id ${created.id}, credit_code ${creditCode}`);

  // Retrying with the same key and body replays the first answer and creates nothing.
  const replayResult = await admin.POST("/api/v1/institutions", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body,
  });
  const replayed = expectStatus(replayResult, 201);
  assert(replayed.id === created.id, "an idempotent replay answers the same institution");
  assert(
    replayResult.response.headers.get("Idempotent-Replayed") === "true",
    "an idempotent replay is marked Idempotent-Replayed: true",
  );
  step("    retry with the same Idempotency-Key -> replayed, same id");

  // Errors are typed RFC 9457 problems: a wrong check character answers 400 validation_failed.
  const wrongCheck = creditCode.slice(0, 17) + (creditCode.endsWith("0") ? "1" : "0");
  const badResult = await admin.POST("/api/v1/institutions", { body: { ...body, credit_code: wrongCheck } });
  assert(badResult.response.status === 400, `a bad credit code answers 400 (got ${badResult.response.status})`);
  assert(badResult.error?.code === "validation_failed", "the problem's code is validation_failed");
  assert(
    badResult.error.errors.some((e) => e.field === "credit_code"),
    "the problem names the credit_code field",
  );
  step(`    bad check character -> 400 ${badResult.error.code} (${badResult.error.detail})`);

  // (b) Register it.
  const statusResult = await admin.POST("/api/v1/institutions/{id}/status", {
    params: { path: { id: created.id } },
    body: { status: "registered", reason: "材料齐全，准予登记 (ts client scenario)" },
  });
  const registered = expectStatus(statusResult, 200);
  assert(registered.status === "registered", `status is registered (got ${registered.status})`);
  assert(registered.registered_at !== null, "registered_at is set");
  step("(b) POST /api/v1/institutions/{id}/status registered -> 200");

  // (c) Page through the public registry (no token) until next_cursor is null.
  let cursor: string | undefined;
  let pages = 0;
  let seen = 0;
  let found = false;
  do {
    const page: Schemas["RegistryEntryPage"] = expectStatus(
      await anonymous.GET("/api/v1/cities/{code}/institutions", {
        params: { path: { code: CITY }, query: { limit: 2, cursor } },
      }),
      200,
    );
    pages += 1;
    seen += page.items.length;
    assert(page.items.length <= 2, "a page holds at most `limit` items");
    found ||= page.items.some((entry) => entry.id === created.id && entry.credit_code === creditCode);
    cursor = page.next_cursor ?? undefined;
    assert(pages <= 100_000, "the registry ends");
  } while (cursor !== undefined);
  assert(found, `institution ${created.id} is in the public registry of ${CITY}`);
  step(`(c) GET /api/v1/cities/${CITY}/institutions?limit=2 -> ${pages} page(s), ${seen} entries, new one found`);

  // (d) The creation is in the audit log (writes are audited in the same transaction).
  const logs: AuditLog[] = [];
  cursor = undefined;
  do {
    const page: Schemas["AuditLogPage"] = expectStatus(
      await auditor.GET("/api/v1/audit-logs", {
        params: { query: { resource_type: "institution", resource_id: created.id, cursor } },
      }),
      200,
    );
    logs.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  const createdRecord = logs.find((log) => log.method === "POST" && log.status === 201);
  assert(createdRecord, `an audit record with POST and 201 exists for ${created.id} (got ${logs.length} records)`);
  assert(createdRecord.actor?.subject === "client-demo", "the audit record names the city admin");
  step(`(d) GET /api/v1/audit-logs?resource_type=institution&resource_id=${created.id} -> ${logs.length} record(s), POST 201 found`);

  step("scenario passed");
}

main().catch((err: unknown) => {
  if (err instanceof ProblemError) {
    console.error(`[ts] FAILED: ${err.message}`);
  } else {
    console.error("[ts] FAILED:", err);
  }
  exit(1);
});
