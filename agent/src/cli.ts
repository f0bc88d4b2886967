#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { enroll, EnrollError } from './enroll';
import { runAgent } from './run';

const USAGE = `usage:
  vigie-agent enroll --url <server> --token <enrollment token> --data-dir <dir> [--force]
  vigie-agent run --data-dir <dir> [--heartbeat-seconds <n>] [--metrics-seconds <n>] [--nats-url <url>]`;

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
    const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, 'heartbeat-seconds': { type: 'string' }, 'metrics-seconds': { type: 'string' }, 'nats-url': { type: 'string' } } });
    if (!values['data-dir']) return usage();
    const heartbeatSeconds = values['heartbeat-seconds'] ? Number(values['heartbeat-seconds']) : undefined;
    if (heartbeatSeconds !== undefined && !(heartbeatSeconds > 0)) return usage();
    const metricsSeconds = values['metrics-seconds'] ? Number(values['metrics-seconds']) : undefined;
    if (metricsSeconds !== undefined && !(metricsSeconds > 0)) return usage();
    const agent = await runAgent({
      dataDir: values['data-dir'],
      ...(heartbeatSeconds ? { heartbeatSeconds } : {}),
      ...(metricsSeconds ? { metricsSeconds } : {}),
      ...(values['nats-url'] ? { natsUrl: values['nats-url'] } : {}),
    });
    const stop = () => void agent.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await agent.stopped;
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
