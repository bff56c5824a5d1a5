// A thin, typed wrapper around the client generated from openapi/openapi.json.
//
// `./generated/api.d.ts` is written by `npm run generate` (openapi-typescript) and must not be
// edited by hand. openapi-fetch turns its `paths` type into a fetch client whose paths,
// parameters, bodies and responses are all checked by the compiler.

import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

export type Schemas = components["schemas"];
export type Institution = Schemas["Institution"];
export type InstitutionCreate = Schemas["InstitutionCreate"];
export type RegistryEntry = Schemas["RegistryEntry"];
export type AuditLog = Schemas["AuditLog"];
export type Problem = Schemas["Problem"];
export type SafetrainClient = Client<paths>;

/**
 * A client for one caller. Pass a token for operations that need sign-in
 * (`Authorization: Bearer <JWT>`); leave it out for the public registry.
 */
export function makeClient(baseUrl: string, token?: string): SafetrainClient {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (token !== undefined) {
    headers.Authorization = `Bearer ${token}`;
  }
  return createClient<paths>({ baseUrl: baseUrl.replace(/\/+$/, ""), headers });
}

/** An RFC 9457 problem answered by the API, thrown by {@link expectStatus}. */
export class ProblemError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly problem: Problem | undefined,
    readonly raw: unknown,
  ) {
    const what = problem
      ? `${problem.code}: ${problem.detail}` +
        (problem.errors.length > 0
          ? ` [${problem.errors.map((e) => `${e.field}/${e.rule}`).join(", ")}]`
          : "")
      : JSON.stringify(raw);
    super(`HTTP ${httpStatus}: ${what}`);
    this.name = "ProblemError";
  }
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { status?: unknown }).status === "number"
  );
}

/**
 * Unwraps an openapi-fetch result: returns `data` when the answer has the expected status,
 * throws a {@link ProblemError} otherwise.
 */
export function expectStatus<D>(
  result: { data?: D; error?: unknown; response: Response },
  expected: number,
): D {
  const { data, error, response } = result;
  if (response.status !== expected || data === undefined) {
    throw new ProblemError(response.status, isProblem(error) ? error : undefined, error ?? data);
  }
  return data;
}
