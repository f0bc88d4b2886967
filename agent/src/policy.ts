import fs from 'node:fs';
import path from 'node:path';
import { AGENT_POLICY_METRICS_SECONDS, effectiveAgentPolicySchema, type EffectiveAgentPolicy } from '@vigie/core/agent';
import { writeFileAtomic } from './durable-file';
import { readState, STATE_FILES } from './state';
import { callServer, isSuccess, problemDetail, type ServerAnswer } from './http';
import type { Log, WatchList } from './telemetry/machine-state';

/**
 * The agent's policy from the server: how often metrics are sampled and which services and processes are watched.
 * It is fetched at start and every few minutes with the machine token (If-None-Match: unchanged answers 304), kept
 * in the data directory so a restart without network applies the last one, and applied live through `settings()`.
 * Until a first policy names this machine, the command line's settings stay in force.
 */

/** The last policy received, next to the agent's other state. */
export const POLICY_FILE = 'policy.json';

/** What the run loop reads from the policy (or from the command line before any policy). */
export interface RunSettings {
  metricsSeconds: number;
  watch: WatchList;
}

export type PolicyFetch =
  | { kind: 'changed'; policy: EffectiveAgentPolicy }
  | { kind: 'unchanged' }
  | { kind: 'refused'; status: number; detail: string }
  | { kind: 'failed'; detail: string };

/**
 * A policy's settings. The period is kept within the policy bounds although the server checks them: a server
 * bug must not make a whole fleet sample every few milliseconds.
 */
export function settingsOf(policy: EffectiveAgentPolicy): RunSettings {
  const { min, max } = AGENT_POLICY_METRICS_SECONDS;
  return {
    metricsSeconds: Math.min(max, Math.max(min, policy.metricsIntervalSeconds)),
    watch: { services: policy.watchServices, processes: policy.watchProcesses },
  };
}

/** The stored policy; undefined when there is none or it is unreadable (then the command line applies again). */
export function readStoredPolicy(dataDir: string, log: Log): EffectiveAgentPolicy | undefined {
  const file = path.join(dataDir, POLICY_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    return effectiveAgentPolicySchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    log('stored policy unreadable; ignored until the server sends one', { file, err: (err as Error).message });
    return undefined;
  }
}

export function storePolicy(dataDir: string, policy: EffectiveAgentPolicy): void {
  writeFileAtomic(path.join(dataDir, POLICY_FILE), `${JSON.stringify(policy, null, 2)}\n`, 0o600);
}

/** Asks the server for the machine's effective policy; `knownVersion` makes an unchanged one a 304. */
export async function fetchPolicy(dataDir: string, knownVersion: string | undefined, signal?: AbortSignal): Promise<PolicyFetch> {
  const { config } = readState(dataDir);
  const machineToken = fs.readFileSync(path.join(dataDir, STATE_FILES.machineToken), 'utf8').trim();
  const headers: Record<string, string> = { authorization: `Bearer ${machineToken}`, accept: 'application/json' };
  if (knownVersion) headers['if-none-match'] = `"${knownVersion}"`;
  let res: ServerAnswer;
  try {
    res = await callServer(new URL('/api/v1/agents/policy', config.serverUrl), { headers, signal });
  } catch (err) {
    return { kind: 'failed', detail: `cannot reach ${config.serverUrl}: ${(err as Error).message}` };
  }
  if (res.status === 304) return { kind: 'unchanged' };
  const text = res.text;
  if (res.status === 401 || res.status === 403) return { kind: 'refused', status: res.status, detail: problemDetail(text) };
  if (!isSuccess(res.status)) return { kind: 'failed', detail: `policy answered ${res.status}: ${problemDetail(text)}` };
  const parsed = safeJson(text);
  const policy = effectiveAgentPolicySchema.safeParse(parsed);
  if (!policy.success) return { kind: 'failed', detail: `policy answer not understood: ${policy.error.message.slice(0, 300)}` };
  return { kind: 'changed', policy: policy.data };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface PolicyKeeperOptions {
  dataDir: string;
  /** The command line's settings: in force until a first policy is received. */
  fallback: RunSettings;
  /** Between two checks. Default 5 min. */
  everyMs?: number;
  /** First retry after a failed check, doubling up to `everyMs`. Default 30 s. */
  retryMs?: number;
  log: Log;
  /** Called after the settings changed (not for the stored policy applied at start). */
  onChange?: (settings: RunSettings) => void;
  /** Tests replace the HTTP call. */
  fetch?: typeof fetchPolicy;
}

export interface PolicyKeeper {
  /** The settings in force now. */
  settings(): RunSettings;
  /** Resolves after the first check (whatever its outcome). */
  readonly firstCheck: Promise<void>;
  stop(): void;
}

/** Fetches, stores and applies the policy in the background; a failed check is logged and retried, never thrown. */
export function keepPolicy(opts: PolicyKeeperOptions): PolicyKeeper {
  const everyMs = opts.everyMs ?? 5 * 60 * 1000;
  const retryMs = Math.min(opts.retryMs ?? 30_000, everyMs);
  const fetcher = opts.fetch ?? fetchPolicy;
  const abort = new AbortController();
  let applied = readStoredPolicy(opts.dataDir, opts.log);
  let lastSeen = applied?.version;
  let settings = applied ? settingsOf(applied) : opts.fallback;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  if (applied) opts.log('stored policy applied until the server is asked', summary(applied));

  const receive = (policy: EffectiveAgentPolicy) => {
    lastSeen = policy.version;
    // No policy names this machine and none ever did: the command line's settings stay.
    if (!applied && policy.policy === null) return;
    if (applied?.version === policy.version) return;
    try {
      storePolicy(opts.dataDir, policy);
    } catch (err) {
      opts.log('policy not stored; applied until the agent restarts', { err: (err as Error).message });
    }
    applied = policy;
    settings = settingsOf(policy);
    opts.log('policy applied', summary(policy));
    opts.onChange?.(settings);
  };

  /** One check; true unless the server could not be asked (then the next one comes sooner). */
  const check = async (): Promise<boolean> => {
    const outcome = await fetcher(opts.dataDir, lastSeen, abort.signal).catch((err: unknown): PolicyFetch => ({ kind: 'failed', detail: (err as Error).message }));
    if (abort.signal.aborted) return true;
    if (outcome.kind === 'changed') receive(outcome.policy);
    else if (outcome.kind === 'refused') opts.log('policy refused by the server; keeping the current settings', { status: outcome.status, detail: outcome.detail });
    else if (outcome.kind === 'failed') opts.log('policy check failed; will retry', { detail: outcome.detail, retryInMs: Math.min(everyMs, retryMs * 2 ** failures) });
    return outcome.kind !== 'failed';
  };

  const loop = async () => {
    const ok = await check();
    failures = ok ? 0 : failures + 1;
    if (abort.signal.aborted) return;
    timer = setTimeout(() => void loop(), ok ? everyMs : Math.min(everyMs, retryMs * 2 ** (failures - 1)));
  };
  const firstCheck = loop();

  return {
    settings: () => settings,
    firstCheck,
    stop() {
      abort.abort();
      clearTimeout(timer);
    },
  };
}

function summary(policy: EffectiveAgentPolicy): Record<string, unknown> {
  return {
    policy: policy.policy?.name ?? null,
    version: policy.version,
    metricsIntervalSeconds: policy.metricsIntervalSeconds,
    watchServices: policy.watchServices,
    watchProcesses: policy.watchProcesses,
  };
}
