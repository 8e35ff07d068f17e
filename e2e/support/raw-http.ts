import { connect } from "node:net";

/** A request exactly as written: no URL normalization, no header validation, no cookie jar. */
export interface RawRequest {
  method?: string;
  /** The request target as sent: a path with any encoding, `*`, or an absolute URL. */
  target: string;
  /** Sent in this order; a name may repeat. Values are sent as UTF-8 unless given as bytes. */
  headers?: Array<[string, string | Buffer]>;
  body?: string | Buffer;
  /** Give up after this long; the answer then has status 0. Default 20 s. */
  timeoutMs?: number;
}

export interface RawResponse {
  /** 0 when the server did not answer in time, -1 when it closed the connection without answering. */
  status: number;
  headers: Array<[string, string]>;
  body: string;
  /** Why there is no status, when there is none. */
  failure?: string;
}

/** The first value of header `name` (lower case), if any. */
export const headerOf = (response: RawResponse, name: string): string | undefined => response.headers.find(([n]) => n === name)?.[1];

/** Every value of header `name` (lower case). */
export const headersOf = (response: RawResponse, name: string): string[] => response.headers.filter(([n]) => n === name).map(([, v]) => v);

const MAX_BODY = 4 * 1024 * 1024;

/**
 * Send one HTTP/1.1 request over a fresh connection to `origin` (`http://host:port`) and
 * read the whole answer. Unlike fetch, Playwright's request context or node:http, nothing
 * is rewritten or refused on the way out: dot segments, backslashes, CR/LF and bytes above
 * 0x7f in headers, repeated headers and any method go out as given.
 */
export function rawRequest(origin: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(origin);
  const method = request.method ?? "GET";
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, "utf8");
  const lines: Buffer[] = [Buffer.from(`${method} ${request.target} HTTP/1.1\r\nhost: ${url.host}\r\n`, "utf8")];
  for (const [name, value] of request.headers ?? []) {
    lines.push(Buffer.from(`${name}: `, "utf8"), Buffer.isBuffer(value) ? value : Buffer.from(value, "utf8"), Buffer.from("\r\n"));
  }
  if (body !== undefined) lines.push(Buffer.from(`content-length: ${body.length}\r\n`));
  lines.push(Buffer.from("connection: close\r\n\r\n"));
  if (body !== undefined) lines.push(body);

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = connect({ host: url.hostname === "localhost" ? "127.0.0.1" : url.hostname, port: Number(url.port) });
    const finish = (failure?: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(parse(Buffer.concat(chunks), method, failure));
    };
    socket.setTimeout(request.timeoutMs ?? 20_000, () => finish("timeout"));
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    // A server may answer (431, 400) and close before it has read everything: keep what it said.
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.write(Buffer.concat(lines));
  });
}

function parse(raw: Buffer, method: string, failure: string | undefined): RawResponse {
  const end = raw.indexOf("\r\n\r\n");
  if (end === -1) return { status: failure === "timeout" ? 0 : -1, headers: [], body: "", failure: failure ?? "no answer" };
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1] ?? -1);
  const headers = headerLines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  let payload = raw.subarray(end + 4);
  if (method === "HEAD" || status === 204 || status === 304) payload = Buffer.alloc(0);
  else if (headers.some(([n, v]) => n === "transfer-encoding" && /chunked/i.test(v))) payload = dechunk(payload);
  return { status, headers, body: payload.toString("utf8"), ...(status <= 0 && failure ? { failure } : {}) };
}

/** The payload of a chunked body; a cut-off one yields what arrived. */
function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd === -1) break;
    const length = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(length > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + length));
    at = lineEnd + 2 + length + 2;
  }
  return Buffer.concat(parts);
}
