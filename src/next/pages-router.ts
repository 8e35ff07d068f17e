import type { CookieChanges } from "../persistence/changes.ts";
import { cookieHeaders, privateHeaders } from "../http/responses.ts";

// The Pages Router hands `getServerSideProps` and `pages/api` handlers Node's
// IncomingMessage and ServerResponse. They are typed here by the little this library uses,
// so Next's NextApiRequest/NextApiResponse, Node's own types and test doubles all fit.

/** The request of `getServerSideProps` (`context.req`) or of a `pages/api` handler. */
export interface PagesRequest {
  /** Node's lower-cased request headers. */
  readonly headers: { readonly [name: string]: string | readonly string[] | undefined };
}

/** The response of `getServerSideProps` (`context.res`) or of a `pages/api` handler. */
export interface PagesResponse {
  statusCode: number;
  readonly headersSent?: boolean;
  getHeader(name: string): number | string | readonly string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  end(chunk?: string): unknown;
}

/** Whether `value` is a Pages Router response (a route handler's second argument is its context instead). */
export function isPagesResponse(value: unknown): value is PagesResponse {
  const res = value as Partial<PagesResponse> | null | undefined;
  return typeof res?.setHeader === "function" && typeof res.getHeader === "function" && typeof res.end === "function";
}

/**
 * A Node request's headers as web `Headers`. A header the Headers class refuses (Node's
 * parser lets through bytes it does not) is left out: it can carry no session.
 */
export function headersOf(req: PagesRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (value === undefined) continue;
    try {
      if (typeof value === "string") headers.append(name, value);
      else for (const item of value) headers.append(name, item);
    } catch {
      // An invalid name or value: not a header anything here reads.
    }
  }
  return headers;
}

/**
 * Put `changes` on `res`: each `Set-Cookie` appended after those already set (the app's
 * own, another library's), and `Cache-Control: private, no-store` as every response that
 * touches session cookies gets (`withCookies`).
 */
export function writeCookiesTo(res: PagesResponse, changes: CookieChanges): void {
  copyHeaders(res, cookieHeaders(changes));
}

/** Mark `res` as the requester's own, as `privateResponse` does a web response. */
export function markPrivate(res: PagesResponse): void {
  copyHeaders(res, privateHeaders());
}

/** Send a web `Response` (a 401/403/503 built in http/) through `res`. */
export async function sendResponse(res: PagesResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  copyHeaders(res, response.headers);
  res.end(await response.text());
}

function copyHeaders(res: PagesResponse, headers: Headers): void {
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) {
    const existing = res.getHeader("set-cookie");
    const before = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader("set-cookie", [...before, ...cookies]);
  }
  headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
}
