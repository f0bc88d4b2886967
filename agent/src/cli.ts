#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { enroll, EnrollError } from './enroll';
import { runAgent } from './run';
import { nameList } from './telemetry/machine-state';
import { defaultDataDir, installService, serviceLogsHint, serviceState, uninstallService } from './service';
import { agentStatus } from './status';

/** Where the installers put the agent's state (/var/lib/vigie-agent, or %ProgramData%\\Vigie Agent). */
const DEFAULT_DATA_DIR = defaultDataDir();

const USAGE = `usage:
  vigie-agent enroll --url <server> --token <enrollment token> --data-dir <dir> [--force]
  vigie-agent run --data-dir <dir> [--heartbeat-seconds <n>] [--metrics-seconds <n>] [--nats-url <url>] [--renew-retry-seconds <n>]
                  [--watch-services nginx,postgresql] [--watch-processes name,...] [--state-seconds <n>] [--events-seconds <n>]
                  [--policy-seconds <n>]
      The server's agent policy sets the metrics period and the watched services and processes; it is checked at
      start and every --policy-seconds (default 300) and kept in <dir>/policy.json for restarts without network.
      --metrics-seconds, --watch-services and --watch-processes apply only until a first policy is received.
  vigie-agent status [--data-dir <dir>]
  vigie-agent install-service [--data-dir <dir>] [--unit-dir <dir>]   (systemd or Windows service; as root/Administrator)
  vigie-agent uninstall [--data-dir <dir>] [--keep-data]   (as root/Administrator)
  (--data-dir defaults to ${DEFAULT_DATA_DIR})`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'enroll') {
    const { values } = parseArgs({ args: rest, options: { url: { type: 'string' }, token: { type: 'string' }, 'data-dir': { type: 'string' }, force: { type: 'boolean' } } });
    if (!values.url || !values.token || !values['data-dir']) return usage();
    const config = await enroll({ url: values.url, token: values.token, dataDir: values['data-dir'], force: values.force ?? false });
    process.stdout.write(`${JSON.stringify({ enrolled: true, machineId: config.machineId, tenantId: config.tenantId })}\n`);
    return 0;
  }
  if (command === 'run') {
    const { values } = parseArgs({
      args: rest,
      options: {
        'data-dir': { type: 'string' },
        'heartbeat-seconds': { type: 'string' },
        'metrics-seconds': { type: 'string' },
        'nats-url': { type: 'string' },
        'renew-retry-seconds': { type: 'string' },
        'watch-services': { type: 'string' },
        'watch-processes': { type: 'string' },
        'state-seconds': { type: 'string' },
        'events-seconds': { type: 'string' },
        'policy-seconds': { type: 'string' },
      },
    });
    if (!values['data-dir']) return usage();
    const renewRetrySeconds = values['renew-retry-seconds'] ? Number(values['renew-retry-seconds']) : undefined;
    if (renewRetrySeconds !== undefined && !(renewRetrySeconds > 0)) return usage();
    const heartbeatSeconds = values['heartbeat-seconds'] ? Number(values['heartbeat-seconds']) : undefined;
    if (heartbeatSeconds !== undefined && !(heartbeatSeconds > 0)) return usage();
    const metricsSeconds = values['metrics-seconds'] ? Number(values['metrics-seconds']) : undefined;
    if (metricsSeconds !== undefined && !(metricsSeconds > 0)) return usage();
    const stateSeconds = values['state-seconds'] ? Number(values['state-seconds']) : undefined;
    if (stateSeconds !== undefined && !(stateSeconds > 0)) return usage();
    const eventsSeconds = values['events-seconds'] ? Number(values['events-seconds']) : undefined;
    if (eventsSeconds !== undefined && !(eventsSeconds > 0)) return usage();
    const policySeconds = values['policy-seconds'] ? Number(values['policy-seconds']) : undefined;
    if (policySeconds !== undefined && !(policySeconds > 0)) return usage();
    const agent = await runAgent({
      dataDir: values['data-dir'],
      watchServices: nameList(values['watch-services']),
      watchProcesses: nameList(values['watch-processes']),
      ...(stateSeconds ? { stateSeconds } : {}),
      ...(eventsSeconds ? { eventsSeconds } : {}),
      ...(policySeconds ? { policySeconds } : {}),
      ...(heartbeatSeconds ? { heartbeatSeconds } : {}),
      ...(metricsSeconds ? { metricsSeconds } : {}),
      ...(values['nats-url'] ? { natsUrl: values['nats-url'] } : {}),
      ...(renewRetrySeconds ? { credentialsRetryMs: renewRetrySeconds * 1000 } : {}),
    });
    const stop = () => void agent.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await agent.stopped;
    return 0;
  }
  if (command === 'status') {
    const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' } } });
    const status = agentStatus(values['data-dir'] ?? DEFAULT_DATA_DIR);
    process.stdout.write(`${JSON.stringify({ ...status, service: await serviceState() }, null, 2)}\n`);
    return status.enrolled ? 0 : 3;
  }
  if (command === 'install-service') {
    const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, 'unit-dir': { type: 'string' } } });
    const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
    const file = await installService({ dataDir, ...(values['unit-dir'] ? { unitDir: values['unit-dir'] } : {}) });
    process.stdout.write(`${JSON.stringify({ installed: file, logs: serviceLogsHint(process.platform, dataDir) })}\n`);
    return 0;
  }
  if (command === 'uninstall') {
    const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, 'keep-data': { type: 'boolean' } } });
    const removed = await uninstallService({ dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR, removeData: !values['keep-data'] });
    process.stdout.write(`${JSON.stringify({ removed })}\n`);
    return 0;
  }
  return usage();
}

function usage(): number {
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof EnrollError ? err.message : String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  },
);
