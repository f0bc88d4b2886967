import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '@vigie/core';
import { BinaryResponse, publicRoute, type AnyRoute } from '../http/route';

/** The agent workspace: its one-file bundle (`npm run build`) and the installers beside it. */
const AGENT_DIR = path.resolve(__dirname, '..', '..', '..', 'agent');
const BUNDLE = path.join(AGENT_DIR, 'dist', 'vigie-agent.js');
const INSTALLERS = { linux: path.join(AGENT_DIR, 'install', 'linux.sh'), windows: path.join(AGENT_DIR, 'install', 'windows.ps1') };

/** Read once per process: the bundle changes only with a new release of the server. */
let cached: { bundle: Buffer; sha256: string } | undefined;
function agentBundle(): { bundle: Buffer; sha256: string } {
  if (!cached) {
    if (!fs.existsSync(BUNDLE)) throw new AppError('unavailable', 'the agent bundle is not built on this server (npm run build)');
    const bundle = fs.readFileSync(BUNDLE);
    cached = { bundle, sha256: createHash('sha256').update(bundle).digest('hex') };
  }
  return cached;
}

/** An installer with the bundle's checksum written in, so it refuses a tampered or truncated download. */
function installer(kind: keyof typeof INSTALLERS): Buffer {
  return Buffer.from(fs.readFileSync(INSTALLERS[kind], 'utf8').replace('@@AGENT_SHA256@@', agentBundle().sha256), 'utf8');
}

/**
 * The one-line install shown in the web app: the installer (Linux shell or Windows PowerShell) downloads the
 * agent bundle from here, checks it, enrolls with the token given on the command line and starts the service.
 * Public: they hold no secret; the enrollment token is the credential.
 */
export const agentInstallRoutes: AnyRoute[] = [
  publicRoute({
    method: 'get',
    path: '/agents/install/linux.sh',
    tag: 'rmm',
    summary: 'Linux installer (systemd): `curl -fsSL <server>/api/v1/agents/install/linux.sh | sudo sh -s -- --url <server> --token <token>`',
    produces: 'text/x-shellscript',
    handler: async () => new BinaryResponse('text/x-shellscript; charset=utf-8', installer('linux'), 'no-cache'),
  }),
  publicRoute({
    method: 'get',
    path: '/agents/install/windows.ps1',
    tag: 'rmm',
    summary: 'Windows installer (PowerShell, as Administrator): scheduled task at boot as SYSTEM',
    produces: 'text/plain',
    handler: async () => new BinaryResponse('text/plain; charset=utf-8', installer('windows'), 'no-cache'),
  }),
  publicRoute({
    method: 'get',
    path: '/agents/install/vigie-agent.js',
    tag: 'rmm',
    summary: 'The agent itself, one file (Node 20 or later); its SHA-256 is in the installers',
    produces: 'application/javascript',
    handler: async () => new BinaryResponse('application/javascript; charset=utf-8', agentBundle().bundle, 'no-cache'),
  }),
];
