import { ApiError, refreshSession, type Problem, type QueryValue } from './http';
import { session } from './session';

/** One server-sent event: its name (`message` when unnamed) and its data lines joined. */
export interface StreamEvent {
  event: string;
  data: string;
}

const BASE = '/api/v1';

function urlOf(path: string, query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return `${BASE}${path}${qs ? `?${qs}` : ''}`;
}

/** Parses one event block (the lines between two blank lines); comments and unknown fields are skipped. */
export function parseEventBlock(block: string): StreamEvent | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { event, data: data.join('\n') } : null;
}

async function problemOf(res: Response): Promise<ApiError> {
  let problem: Problem = { type: 'about:blank', title: res.statusText || 'Error', status: res.status };
  try {
    problem = { ...problem, ...((await res.json()) as Partial<Problem>), status: res.status };
  } catch {
    // not JSON
  }
  return new ApiError(res.status, problem);
}

async function connect(url: string, signal: AbortSignal, token: string | null): Promise<Response> {
  try {
    return await fetch(url, { headers: { Accept: 'text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, signal, cache: 'no-store' });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ApiError(0, { type: 'urn:vigie:problem:network', title: 'Network error', status: 0 });
  }
}

/**
 * Reads a server-sent event stream of the API with the session's bearer token, which EventSource cannot send:
 * fetch and a ReadableStream. A 401 refreshes the session once, like every other call. Resolves when the
 * server ends the stream; rejects on an error answer, a lost connection or `signal`.
 */
export async function readEventStream(
  path: string,
  query: Record<string, QueryValue>,
  onEvent: (event: StreamEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const url = urlOf(path, query);
  const sentWith = session.accessToken();
  let res = await connect(url, signal, sentWith);
  if (res.status === 401) {
    const renewed = (session.accessToken() !== null && session.accessToken() !== sentWith) || (await refreshSession());
    if (!renewed) {
      session.expire();
      throw await problemOf(res);
    }
    res = await connect(url, signal, session.accessToken());
  }
  if (!res.ok || !res.body) throw await problemOf(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value; // the API ends lines with \n only
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = parseEventBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) onEvent(event);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
