import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '@vigie/core';
import { BinaryResponse, publicRoute, type AnyRoute } from '../http/route';

/**
 * The agent workspace: its one-file bundle and the Windows service wrapper (`npm run build`, see
 * scripts/src/bundle-agent.ts), and the installers beside them.
 */
const AGENT_DIR = path.resolve(__dirname, '..', '..', '..', 'agent');
const FILES = {
  bundle: path.join(AGENT_DIR, 'dist', 'vigie-agent.js'),
  winsw: path.join(AGENT_DIR, 'dist', 'winsw.exe'),
};
const INSTALLERS = { linux: path.join(AGENT_DIR, 'install', 'linux.sh'), windows: path.join(AGENT_DIR, 'install', 'windows.ps1') };
/** The placeholder in the installers for each served file's SHA-256. */
const PLACEHOLDERS: Record<keyof typeof FILES, string> = { bundle: '@@AGENT_SHA256@@', winsw: '@@WINSW_SHA256@@' };

/** Read once per process: the files change only with a new release of the server. */
const cached = new Map<keyof typeof FILES, { bytes: Buffer; sha256: string }>();
function served(file: keyof typeof FILES): { bytes: Buffer; sha256: string } {
  let entry = cached.get(file);
  if (!entry) {
    if (!fs.existsSync(FILES[file])) throw new AppError('unavailable', `${path.basename(FILES[file])} is not built on this server (npm run build)`);
    const bytes = fs.readFileSync(FILES[file]);
    entry = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    cached.set(file, entry);
  }
  return entry;
}

/** An installer with the checksums of what it downloads written in, so it refuses a tampered or truncated download. */
function installer(kind: keyof typeof INSTALLERS): Buffer {
  let text = fs.readFileSync(INSTALLERS[kind], 'utf8');
  for (const file of Object.keys(FILES) as (keyof typeof FILES)[]) {
    if (text.includes(PLACEHOLDERS[file])) text = text.replaceAll(PLACEHOLDERS[file], served(file).sha256);
  }
  return Buffer.from(text, 'utf8');
}

/**
 * The one-line install shown in the web app: the installer (Linux shell or Windows PowerShell) downloads the
 * agent bundle (and on Windows the service wrapper) from here, checks them, enrolls with the token given on
 * the command line and starts the service. Public: they hold no secret; the enrollment token is the credential.
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
    summary:
      'Windows installer (PowerShell, as Administrator): `& ([scriptblock]::Create((irm <server>/api/v1/agents/install/windows.ps1))) -Url <server> -Token <token>`; a Windows service through WinSW',
    produces: 'text/plain',
    handler: async () => new BinaryResponse('text/plain; charset=utf-8', installer('windows'), 'no-cache'),
  }),
  publicRoute({
    method: 'get',
    path: '/agents/install/vigie-agent.js',
    tag: 'rmm',
    summary: 'The agent itself, one file (Node 20 or later); its SHA-256 is in the installers',
    produces: 'application/javascript',
    handler: async () => new BinaryResponse('application/javascript; charset=utf-8', served('bundle').bytes, 'no-cache'),
  }),
  publicRoute({
    method: 'get',
    path: '/agents/install/winsw.exe',
    tag: 'rmm',
    summary: 'The Windows service wrapper (WinSW 1.17, MIT) the Windows installer runs the agent under; its SHA-256 is in windows.ps1',
    produces: 'application/octet-stream',
    handler: async () => new BinaryResponse('application/octet-stream', served('winsw').bytes, 'no-cache'),
  }),
];
