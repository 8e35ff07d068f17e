import { CognitoRejectedError, CognitoUnavailableError, isCode } from "../lib/errors.ts";
import { activeTracer, CLIENT, traced } from "../lib/tracing.ts";

/** Where and how a Cognito JSON API is called. */
export interface JsonApiOptions {
  endpoint: URL;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** One of the two AWS JSON-protocol services Cognito is made of. */
export interface JsonService {
  /** The `X-Amz-Target` prefix, e.g. `AWSCognitoIdentityProviderService`. */
  target: string;
  /** The service in span names and messages, e.g. `CognitoIdentityProvider`. */
  name: string;
  /** Error types that mean "try again later" for this service: outages, not refusals. */
  outages: ReadonlySet<string>;
}

/** User pools. Throttling stays a refusal: sign-in forms show it as its own reason. */
export const USER_POOLS: JsonService = {
  target: "AWSCognitoIdentityProviderService",
  name: "CognitoIdentityProvider",
  outages: new Set(["InternalErrorException"]),
};

/** Identity pools: throttling is an outage (the session stands, the credentials wait). */
export const IDENTITY_POOLS: JsonService = {
  target: "AWSCognitoIdentityService",
  name: "CognitoIdentity",
  outages: new Set(["TooManyRequestsException", "InternalErrorException", "LimitExceededException", "ThrottlingException"]),
};

/** What an answer may weigh: tokens or credentials are a few KB, an error less. */
const MAX_BODY = 256 * 1024;

/**
 * Call one action of a Cognito JSON API with plain `fetch`, so it runs in Edge middleware
 * as well as on Node (no AWS SDK). Unsigned actions only: they need no AWS credentials.
 *
 * Throws {@link CognitoUnavailableError} on timeouts, network errors, 5xx, the service's
 * outage types and answers that are not JSON objects, and {@link CognitoRejectedError}
 * (type and bounded message) for any other refusal. Traced as one client span when a
 * tracer is registered, named by the action alone: the body holds tokens and secrets.
 */
export function callJsonApi<T>(options: JsonApiOptions, service: JsonService, action: string, body: object): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return call<T>(options, service, action, body);
  const attributes = { "rpc.system": "aws-api", "rpc.service": service.name, "rpc.method": action, "server.address": options.endpoint.hostname };
  return traced(tracer, `${service.name}/${action}`, attributes, CLIENT, async (span) => {
    try {
      return await call<T>(options, service, action, body);
    } catch (error) {
      if (isCode(error, "ERR_COGNITO_REJECTED")) span.setAttribute("aws.cognito.error", (error as CognitoRejectedError).type);
      throw error;
    }
  });
}

async function call<T>(options: JsonApiOptions, service: JsonService, action: string, body: object): Promise<T> {
  let response: Response;
  let text: string;
  try {
    response = await (options.fetch ?? fetch)(options.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${service.target}.${action}` },
      body: JSON.stringify(body),
      redirect: "error",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    text = await response.text();
  } catch (cause) {
    throw new CognitoUnavailableError(`${service.name} ${action} could not be reached`, { cause });
  }
  let parsed: unknown;
  try {
    // An empty answer is an empty object (RevokeToken, GlobalSignOut).
    parsed = text.length === 0 ? {} : text.length <= MAX_BODY ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML error page: judged by its status below.
  }
  const fields = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  if (response.ok) {
    if (fields === undefined) throw new CognitoUnavailableError(`${service.name} ${action} answered without a JSON object`);
    return fields as T;
  }
  const type = errorType(fields, response.headers);
  if (response.status >= 500 || type === "" || service.outages.has(type)) {
    throw new CognitoUnavailableError(`${service.name} ${action} answered ${response.status}${type ? ` ${type}` : ""}`);
  }
  // Cognito's message names the problem and never echoes a token or password back;
  // it is kept apart from ours all the same, and bounded.
  const message = fields?.message ?? fields?.Message;
  const detail = typeof message === "string" ? message.slice(0, 200) : undefined;
  throw new CognitoRejectedError(type, `${service.name} ${action} refused: ${type}`, detail);
}

/** The error type of a JSON protocol answer: `__type` (`prefix#Name`), `code`, or the `x-amzn-errortype` header. */
function errorType(fields: Record<string, unknown> | undefined, headers: Headers): string {
  const raw = fields?.__type ?? fields?.code ?? headers.get("x-amzn-errortype") ?? "";
  const type = typeof raw === "string" ? (raw.split("#").pop() ?? "").split(":")[0]! : "";
  return /^\w{1,100}$/.test(type) ? type : "";
}
