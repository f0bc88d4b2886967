import fs from 'node:fs';
import { TEMPORAL_BIN } from './paths';
import { startService, waitForPort, type Service } from './process';

export interface TemporalOptions {
  port: number;
  /** Web UI port; omitted → headless. */
  uiPort?: number;
  /** SQLite file kept between runs; omitted → in memory. */
  dbFile?: string;
  namespace: string;
  logFile: string;
  /** Extra dynamic config, e.g. a low history limit in tests to exercise continueAsNew. */
  dynamicConfig?: Record<string, string>;
}

export async function startTemporal(opts: TemporalOptions): Promise<Service> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace];
  args.push('--search-attribute', 'TenantId=Keyword', '--log-level', 'warn');
  args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${value}`);
  if (opts.uiPort) args.push('--ui-ip', '127.0.0.1', '--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  fs.writeFileSync(opts.logFile, '');
  const service = startService('temporal', TEMPORAL_BIN, args, { logFile: opts.logFile });
  await waitForPort(opts.port, '127.0.0.1', 120_000, service.child);
  return service;
}
