import type { z } from 'zod';
import type { FieldError, Tokens, problemSchema } from '@vigie/core';
import { session } from './session';

export type Problem = z.infer<typeof problemSchema>;

const BASE = '/api/v1';

/** Every failed call: the HTTP status (0 when the server could not be reached) and the RFC 9457 problem. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }

  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, QueryValue>;
  /** Sent as JSON, except a Blob/File which is sent as raw bytes with its own type. */
  body?: unknown;
  headers?: Record<string, string>;
  /** false for the public endpoints (login, signup): no token, and a 401 is an answer, not an expiry. */
  auth?: boolean;
  /** false: a failed refresh does not send the user to the login page (used by logout itself). */
  expireOnFailure?: boolean;
  /** 'file': the body as a Blob with the file name of its Content-Disposition (downloads named by the API). */
  responseType?: 'json' | 'blob' | 'file';
}

/** A download named by the API (`Content-Disposition: attachment; filename=…`). */
export interface DownloadedFile {
  blob: Blob;
  /** '' when the answer names no file. */
  filename: string;
}

/** The file name of a Content-Disposition header: the RFC 5987 `filename*` first, else `filename`. */
export function filenameOf(disposition: string | null): string {
  if (!disposition) return '';
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim());
    } catch {
      // Badly encoded: the plain name below.
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i.exec(disposition);
  return (plain?.[1] ?? plain?.[2] ?? '').trim();
}

function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  // Paths the API hands out (e.g. branding.logoUrl) are already absolute.
  const url = path.startsWith('/api/') ? path : `${BASE}${path}`;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url;
}

function buildInit(opts: RequestOptions): RequestInit {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.body instanceof Blob) {
    body = opts.body;
    headers['Content-Type'] ??= opts.body.type;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  return { method: opts.method ?? 'GET', headers, body };
}

async function send(url: string, init: RequestInit, token: string | null): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  try {
    return await fetch(url, { ...init, headers });
  } catch {
    throw new ApiError(0, { type: 'urn:vigie:problem:network', title: 'Network error', status: 0 });
  }
}

async function toApiError(res: Response): Promise<ApiError> {
  let problem: Problem = { type: 'about:blank', title: res.statusText || 'Error', status: res.status };
  try {
    const body = (await res.json()) as Partial<Problem>;
    if (body && typeof body === 'object') problem = { ...problem, ...body, status: res.status };
  } catch {
    // Not JSON (a proxy error page): the status says enough.
  }
  return new ApiError(res.status, problem);
}

let refreshing: Promise<boolean> | null = null;

/**
 * Exchanges the refresh token for new tokens. Concurrent callers share one request, and tabs take turns
 * through a Web Lock: the API rotates refresh tokens and treats a reuse as theft (it revokes the family),
 * so two tabs must never send the same one. Resolves false when the token is refused.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= withTabLock(doRefresh).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function withTabLock<T>(work: () => Promise<T>): Promise<T> {
  // Web Locks exist in secure contexts only (https, localhost); elsewhere, tabs may race.
  if (!('locks' in navigator)) return work();
  return await navigator.locks.request('vigie-refresh', work);
}

async function doRefresh(): Promise<boolean> {
  // Read inside the lock: another tab may have just rotated it.
  const refreshToken = session.refreshToken();
  if (!refreshToken) return false;
  const res = await send(`${BASE}/auth/refresh`, buildInit({ method: 'POST', body: { refreshToken } }), null);
  if (res.status === 400 || res.status === 401) return false;
  if (!res.ok) throw await toApiError(res); // 5xx: keep the session, the server is the problem
  session.save((await res.json()) as Tokens);
  return true;
}

async function parse<T>(res: Response, type: RequestOptions['responseType']): Promise<T> {
  if (!res.ok) throw await toApiError(res);
  if (type === 'blob') return (await res.blob()) as T;
  if (type === 'file') return { blob: await res.blob(), filename: filenameOf(res.headers.get('content-disposition')) } as T;
  if (res.status === 204 || res.headers.get('content-length') === '0') return undefined as T;
  return (await res.json()) as T;
}

/** Calls the API; on a 401 refreshes the session once and retries once. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const url = buildUrl(path, opts.query);
  const init = buildInit(opts);
  const useAuth = opts.auth !== false;
  const sentWith = useAuth ? session.accessToken() : null;
  let res = await send(url, init, sentWith);
  if (res.status === 401 && useAuth) {
    // Another call may already have refreshed while this one was in flight.
    const renewed = (session.accessToken() !== null && session.accessToken() !== sentWith) || (await refreshSession());
    if (!renewed) {
      if (opts.expireOnFailure !== false) session.expire();
      else session.clear();
      throw await toApiError(res);
    }
    res = await send(url, init, session.accessToken());
  }
  return parse<T>(res, opts.responseType);
}

export interface UploadOptions {
  method?: 'POST' | 'PUT';
  query?: Record<string, QueryValue>;
  /** Called with the fraction sent, 0 to 1. */
  onProgress?: (fraction: number) => void;
}

/** One XHR upload: fetch cannot report upload progress, XMLHttpRequest can. */
function xhrUpload(url: string, file: Blob, opts: UploadOptions, token: string | null): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(opts.method ?? 'POST', url);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    // Without a type the API's raw-body parser would not read the bytes at all.
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'blob';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) opts.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status === 0) {
        reject(new ApiError(0, { type: 'urn:vigie:problem:network', title: 'Network error', status: 0 }));
        return;
      }
      const headers = new Headers();
      const type = xhr.getResponseHeader('Content-Type');
      if (type) headers.set('Content-Type', type);
      // A Response built from the XHR lets parse() and toApiError() treat it like any other answer.
      resolve(new Response(xhr.status === 204 ? null : (xhr.response as Blob), { status: xhr.status, statusText: xhr.statusText, headers }));
    };
    xhr.onerror = () => reject(new ApiError(0, { type: 'urn:vigie:problem:network', title: 'Network error', status: 0 }));
    xhr.send(file);
  });
}

/** Sends a file as the raw body with upload progress; same token refresh as request(). */
export async function upload<T>(path: string, file: Blob, opts: UploadOptions = {}): Promise<T> {
  const url = buildUrl(path, opts.query);
  const sentWith = session.accessToken();
  let res = await xhrUpload(url, file, opts, sentWith);
  if (res.status === 401) {
    const renewed = (session.accessToken() !== null && session.accessToken() !== sentWith) || (await refreshSession());
    if (!renewed) {
      session.expire();
      throw await toApiError(res);
    }
    opts.onProgress?.(0);
    res = await xhrUpload(url, file, opts, session.accessToken());
  }
  return parse<T>(res, 'json');
}

export const http = {
  get: <T>(path: string, query?: Record<string, QueryValue>, opts: RequestOptions = {}) =>
    request<T>(path, { ...opts, method: 'GET', query }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) => request<T>(path, { ...opts, method: 'POST', body }),
  put: <T>(path: string, body?: unknown, opts: RequestOptions = {}) => request<T>(path, { ...opts, method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown, opts: RequestOptions = {}) => request<T>(path, { ...opts, method: 'PATCH', body }),
  delete: <T = void>(path: string, opts: RequestOptions = {}) => request<T>(path, { ...opts, method: 'DELETE' }),
};
