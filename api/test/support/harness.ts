import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadConfig, type Config, type Tokens } from '@vigie/core';
import { createApp } from '../../src/app';
import { createDeps, type AppDeps } from '../../src/deps';
import type { AnyRoute } from '../../src/http/route';

/** An API on a random port against the test stack (real Postgres, NATS, Temporal started by npm test). */
export interface TestApi {
  url: string;
  deps: AppDeps;
  routes: AnyRoute[];
  close(): Promise<void>;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
  signup(overrides?: Partial<SignupInput>): Promise<Session>;
  login(email: string, password: string): Promise<Tokens>;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

interface SignupInput {
  tenantName: string;
  email: string;
  password: string;
  name: string;
}

export interface Session extends Tokens {
  email: string;
  password: string;
  token: string;
}

export function testConfig(overrides: Partial<Record<keyof Config, string>> = {}): Config {
  return loadConfig({ ...process.env, LOGIN_RATE_LIMIT_PER_MINUTE: '1000', LOG_LEVEL: 'silent', ...overrides });
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomUUID().slice(0, 8)}@test.vigie.dev`;

export async function startTestApi(config: Config = testConfig()): Promise<TestApi> {
  const deps = await createDeps(config, pino({ level: 'silent' }));
  const { app, routes } = createApp(deps);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const call = async (method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };

  const login = async (email: string, password: string): Promise<Tokens> => {
    const res = await call('POST', '/api/v1/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Tokens;
  };

  const signup = async (overrides: Partial<SignupInput> = {}): Promise<Session> => {
    const input: SignupInput = {
      tenantName: `MSP ${randomUUID().slice(0, 6)}`,
      email: uniqueEmail('admin'),
      password: 'correct horse battery staple',
      name: 'Alice Admin',
      ...overrides,
    };
    const res = await call('POST', '/api/v1/signup', { body: input });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    const tokens = res.body as Tokens;
    return { ...tokens, email: input.email, password: input.password, token: tokens.accessToken };
  };

  return {
    url,
    deps,
    routes,
    call,
    login,
    signup,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.close();
    },
  };
}

/** Creates a user of the given role in the session's tenant and logs in as them. */
export async function sessionAs(api: TestApi, admin: Session, role: 'manager' | 'technician'): Promise<Session> {
  const email = uniqueEmail(role);
  const password = 'another long password';
  const res = await api.call('POST', '/api/v1/users', { token: admin.token, body: { email, name: `A ${role}`, role, password } });
  if (res.status !== 201) throw new Error(`user creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  const tokens = await api.login(email, password);
  return { ...tokens, email, password, token: tokens.accessToken };
}
