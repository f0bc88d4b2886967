import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nextSiren } from './cross-tenant/fixtures';
import { startTestApi, type Session, type TestApi } from './support/harness';

/**
 * The one-line installer as a user runs it: the real shell script from the API, downloading the agent bundle
 * from the API, checking its SHA-256 and enrolling with the real API. Only systemctl is a stand-in (this
 * machine has no systemd): it records what it was asked.
 */
let api: TestApi;
let admin: Session;
let dir: string;

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-install-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'systemctl'), `#!/bin/sh\necho "$*" >> "${dir}/systemctl.log"\n`, { mode: 0o755 });
});

afterAll(async () => {
  await api?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function enrollmentToken(): Promise<string> {
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: `Client ${randomUUID().slice(0, 6)}`, siren: nextSiren() } });
  return (await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } })).body.token;
}

function runInstaller(script: string, args: string[], target: string): Promise<{ code: number; stdout: string; stderr: string }> {
  fs.writeFileSync(path.join(dir, 'linux.sh'), script);
  const env = {
    PATH: [path.join(dir, 'bin'), path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    VIGIE_PREFIX: path.join(target, 'opt'),
    VIGIE_DATA_DIR: path.join(target, 'data'),
    VIGIE_UNIT_DIR: path.join(target, 'units'),
  };
  fs.mkdirSync(env.VIGIE_UNIT_DIR, { recursive: true });
  return new Promise((resolve) => {
    execFile('sh', [path.join(dir, 'linux.sh'), ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('the Linux one-line installer', () => {
  it('downloads the checked agent, enrolls the machine and installs the service', async () => {
    const script = await fetch(`${api.url}/api/v1/agents/install/linux.sh`);
    expect(script.headers.get('content-type')).toMatch(/^text\/x-shellscript/);
    const text = await script.text();
    const bundle = Buffer.from(await (await fetch(`${api.url}/api/v1/agents/install/vigie-agent.js`)).arrayBuffer());
    expect(text).toContain(`AGENT_SHA256="${createHash('sha256').update(bundle).digest('hex')}"`);

    const target = path.join(dir, 'ok');
    const res = await runInstaller(text, ['--url', api.url, '--token', await enrollmentToken()], target);
    expect(res).toMatchObject({ code: 0 });
    expect(fs.readFileSync(path.join(target, 'opt', 'vigie-agent.js')).equals(bundle)).toBe(true);
    const unit = fs.readFileSync(path.join(target, 'units', 'vigie-agent.service'), 'utf8');
    expect(unit).toContain(`vigie-agent.js run --data-dir ${path.join(target, 'data')}`);
    expect(fs.readFileSync(path.join(dir, 'systemctl.log'), 'utf8')).toBe('daemon-reload\nenable --now vigie-agent.service\n');

    const { machineId } = JSON.parse(fs.readFileSync(path.join(target, 'data', 'agent.json'), 'utf8')) as { machineId: string };
    expect((await api.call('GET', `/api/v1/machines/${machineId}`, { token: admin.token })).status).toBe(200);
  });

  it('stops before enrolling when the download does not match its checksum', async () => {
    const text = (await (await fetch(`${api.url}/api/v1/agents/install/linux.sh`)).text()).replace(/AGENT_SHA256="[0-9a-f]{64}"/, `AGENT_SHA256="${'0'.repeat(64)}"`);
    const target = path.join(dir, 'tampered');
    const res = await runInstaller(text, ['--url', api.url, '--token', await enrollmentToken()], target);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('does not match its checksum');
    expect(fs.existsSync(path.join(target, 'data'))).toBe(false);
  });

  it('says why an enrollment token is refused, and asks for both options', async () => {
    const text = await (await fetch(`${api.url}/api/v1/agents/install/linux.sh`)).text();
    const refused = await runInstaller(text, ['--url', api.url, '--token', 'vgt_not-a-token-at-all-really'], path.join(dir, 'refused'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('enrollment refused (401)');
    const usage = await runInstaller(text, ['--url', api.url], path.join(dir, 'usage'));
    expect(usage.stderr).toContain('usage: linux.sh --url <server> --token <enrollment token>');
  });

});

/** Windows cannot run here: what is checked is what the API serves, byte for byte, and what the script will verify. */
describe('the Windows one-line installer', () => {
  it('is served with the checksums of the agent and of WinSW, both served beside it', async () => {
    const res = await fetch(`${api.url}/api/v1/agents/install/windows.ps1`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const ps1 = await res.text();
    expect(ps1).not.toContain('@@');
    const bundle = Buffer.from(await (await fetch(`${api.url}/api/v1/agents/install/vigie-agent.js`)).arrayBuffer());
    expect(ps1).toContain(`$AgentSha256 = '${createHash('sha256').update(bundle).digest('hex')}'`);

    const winswRes = await fetch(`${api.url}/api/v1/agents/install/winsw.exe`);
    expect(winswRes.status).toBe(200);
    expect(winswRes.headers.get('content-type')).toBe('application/octet-stream');
    const winsw = Buffer.from(await winswRes.arrayBuffer());
    // The very binary npm's node-windows@1.0.0-beta.8 ships (WinSW 1.17), a .NET program (PE, "MZ").
    expect(winsw.equals(fs.readFileSync(require.resolve('node-windows/bin/winsw/winsw.exe')))).toBe(true);
    expect(winsw.subarray(0, 2).toString('latin1')).toBe('MZ');
    const winswSha256 = createHash('sha256').update(winsw).digest('hex');
    expect(winswSha256).toBe('5859b114d96800a2b98ef9d19eaa573a786a422dad324547ef25be181389df01');
    expect(ps1).toContain(`$WinswSha256 = '${winswSha256}'`);
    // It downloads both from this server, verifies them, and hands the service to the agent's install-service.
    expect(ps1).toContain("Get-Verified 'vigie-agent.js' $Script $AgentSha256");
    expect(ps1).toContain("Get-Verified 'winsw.exe' $Winsw $WinswSha256");
    expect(ps1).toContain('install-service --data-dir $DataDir');
    expect(ps1).not.toContain('Register-ScheduledTask');
    expect(await (await fetch(`${api.url}/api/v1/agents/install/linux.sh`)).text()).not.toContain('@@');
  });
});
