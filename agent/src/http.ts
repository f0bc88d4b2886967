import http from 'node:http';
import https from 'node:https';

/**
 * The agent's few calls to the server (enroll, renew, policy) go over node:http(s), not fetch: fetch loads
 * undici, about 11 MB of resident memory in an agent meant to stay under 60 MB (bench/rmm-fleet, phase 5).
 */

export interface ServerAnswer {
  status: number;
  text: string;
}

/** Answers larger than this are cut off with an error (the server's largest is a few kilobytes). */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface CallOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** JSON, sent as application/json. */
  json?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** One request to the server; rejects when it cannot be reached or does not answer within timeoutMs (default 30 s). */
export function callServer(url: URL, opts: CallOptions = {}): Promise<ServerAnswer> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const headers = { ...opts.headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) };
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: opts.method ?? 'GET', headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const isSuccess = (status: number) => status >= 200 && status < 300;

/** The `detail` of an RFC 9457 problem, or the start of the text when the answer is not one. */
export function problemDetail(text: string): string {
  try {
    return (JSON.parse(text) as { detail?: string }).detail ?? text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}
