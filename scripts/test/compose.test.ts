/**
 * Static checks of the production deployment (docker-compose.yml, Dockerfile, deploy/) that need no
 * Docker engine. When the compose plugin is installed (`docker compose version` succeeds), compose's own
 * validation runs too; DOCKER_COMPOSE_BIN may point at a standalone docker-compose binary instead.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { authConfig } from '../src/stack/nats';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');

// --- the agreed contract ---------------------------------------------------------------------------

const REQUIRED_SERVICES = ['postgres', 'temporal', 'temporal-ui', 'nats', 'migrate', 'api', 'worker', 'ingest'];
const ENTRY_POINTS: Record<string, string> = {
  api: 'api/dist/main.js',
  worker: 'worker/dist/main.js',
  ingest: 'ingest/dist/main.js',
  migrate: 'scripts/dist/migrate.js',
};
/** The variables the app was agreed to read, plus any core/src/config.ts has gained since. */
const APP_ENV = [
  ...new Set([
    'NODE_ENV', 'HOST', 'PORT', 'PUBLIC_URL', 'LOG_LEVEL', 'DATABASE_URL', 'DATABASE_OWNER_URL', 'DATABASE_POOL_MAX',
    'NATS_URL', 'NATS_CREDS', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE',
    'ACCESS_TOKEN_TTL_SECONDS', 'REFRESH_TOKEN_TTL_DAYS', 'LOGIN_RATE_LIMIT_PER_MINUTE', 'BODY_LIMIT', 'WEB_DIST',
    ...[...read('core/src/config.ts').matchAll(/^\s+([A-Z][A-Z0-9_]+):\s*z\./gm)].map((m) => m[1] as string),
  ]),
];
const NATS_CLIENTS = ['api', 'worker', 'ingest'];
const WORKER_PACKAGES = ['libreoffice-writer-nogui', 'python3-uno', 'fonts-dejavu-core'];

// --- docker-compose.yml ----------------------------------------------------------------------------

interface Healthcheck { test?: string | string[]; disable?: boolean }
interface Build { context?: string; dockerfile?: string; target?: string }
interface Volume { type?: string; source?: string; target?: string }
interface Service {
  image?: string;
  build?: string | Build;
  command?: string | string[];
  entrypoint?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | Volume)[];
  secrets?: (string | { source: string; target?: string })[];
  healthcheck?: Healthcheck;
  restart?: string;
  ports?: (string | number)[];
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
}
interface ComposeFile {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string }>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
// Compose resolves YAML merge keys (<<), which the shared fragments use.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`service ${name} is missing from docker-compose.yml`);
  return s;
};

function envOf(s: Service): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const i = entry.indexOf('=');
      env[i < 0 ? entry : entry.slice(0, i)] = i < 0 ? '' : entry.slice(i + 1);
    }
  } else {
    for (const [k, v] of Object.entries(s.environment ?? {})) env[k] = v === null ? '' : String(v);
  }
  return env;
}

function dependsOn(s: Service): Record<string, string> {
  if (!s.depends_on) return {};
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(s.depends_on).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

function words(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : v.trim().split(/\s+/);
}

/** Bind mounts as [host source, container target], from short ("./a:/b:ro") or long syntax. */
function bindMounts(s: Service): [string, string][] {
  const out: [string, string][] = [];
  for (const v of s.volumes ?? []) {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      if (source.startsWith('.') || source.startsWith('/')) out.push([source, target]);
    } else if (v.type === 'bind' && v.source && v.target) {
      out.push([v.source, v.target]);
    }
  }
  return out;
}

/** Named-volume mounts as [volume name, container target]. */
function namedVolumeMounts(s: Service): [string, string][] {
  const out: [string, string][] = [];
  for (const v of s.volumes ?? []) {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      if (target && !source.startsWith('.') && !source.startsWith('/')) out.push([source, target]);
    } else if (v.type === 'volume' && v.source && v.target) {
      out.push([v.source, v.target]);
    }
  }
  return out;
}

function gitIgnored(rel: string): boolean {
  return spawnSync('git', ['check-ignore', '-q', '--no-index', rel], { cwd: ROOT }).status === 0;
}

/** `${VAR}`, `${VAR:-default}`, `${VAR:?message}` … with `$$` (a literal dollar) left out. */
function interpolations(text: string): { name: string; required: boolean }[] {
  const found: { name: string; required: boolean }[] = [];
  const re = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])[^}]*)?\}/g;
  for (const m of text.replace(/\$\$/g, '').matchAll(re)) {
    found.push({ name: m[1] as string, required: (m[2] ?? '').endsWith('?') });
  }
  return found;
}

// --- deploy/.env.example ---------------------------------------------------------------------------

const envExampleText = read('deploy/.env.example');
/** VAR → value for active lines, VAR → null for documented defaults (`# VAR=value`). */
const envExample = new Map<string, string | null>();
for (const line of envExampleText.split('\n')) {
  const active = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
  const commented = /^#\s*([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
  if (active) envExample.set(active[1] as string, (active[2] as string).trim());
  else if (commented && !envExample.has(commented[1] as string)) envExample.set(commented[1] as string, null);
}

// --- Dockerfile ------------------------------------------------------------------------------------

interface Instruction { keyword: string; args: string }
interface Stage { name: string; from: string; instructions: Instruction[] }

/** Instructions in order: continuation lines joined, comment lines dropped (as BuildKit does). */
function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    const m = /^(\S+)\s*(.*)$/s.exec(current.trim());
    if (m) out.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).replace(/\s+/g, ' ').trim() });
    current = '';
  }
  return out;
}

const dockerfile = read('Dockerfile');
const instructions = dockerInstructions(dockerfile);
const globalArgs = new Map<string, string>();
const stages: Stage[] = [];
for (const ins of instructions) {
  if (ins.keyword === 'FROM') {
    const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
    if (!m) throw new Error(`unparsed FROM ${ins.args}`);
    const from = (m[1] as string).replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => globalArgs.get(n) ?? `\${${n}}`);
    stages.push({ name: m[2] ?? String(stages.length), from, instructions: [] });
  } else if (stages.length === 0) {
    if (ins.keyword === 'ARG') {
      const [name = '', value = ''] = ins.args.split('=');
      globalArgs.set(name, value);
    }
  } else {
    (stages[stages.length - 1] as Stage).instructions.push(ins);
  }
}
const stage = (name: string): Stage => {
  const s = stages.find((st) => st.name === name);
  if (!s) throw new Error(`Dockerfile has no stage ${name}`);
  return s;
};
/** The stage and every stage it is built FROM, nearest first. */
function lineage(name: string): Stage[] {
  const chain: Stage[] = [];
  for (let s = stages.find((st) => st.name === name); s; s = stages.find((st) => st.name === s?.from)) chain.push(s);
  return chain;
}
/** Everything a final stage contains: its lineage plus the stages it copies from, transitively. */
function contributingStages(name: string, seen = new Set<string>()): Stage[] {
  const out: Stage[] = [];
  for (const s of lineage(name)) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    out.push(s);
    for (const ins of s.instructions) {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (ins.keyword === 'COPY' && from && stages.some((st) => st.name === from)) out.push(...contributingStages(from, seen));
    }
  }
  return out;
}
function buildTarget(s: Service): string | undefined {
  if (!s.build) return undefined;
  if (typeof s.build === 'string') return stages[stages.length - 1]?.name;
  return s.build.target ?? stages[stages.length - 1]?.name;
}

// --- tests -----------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('declares every production service', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(REQUIRED_SERVICES));
  });

  it('gives every service an image or a build', () => {
    const without = Object.entries(services).filter(([, s]) => !s.image && !s.build).map(([n]) => n);
    expect(without).toEqual([]);
  });

  it('pins the version of every image it does not build', () => {
    const unpinned = Object.entries(services)
      .filter(([, s]) => !s.build)
      .filter(([, s]) => !/:[^/:]+$/.test(s.image ?? '') || /:latest$/.test(s.image ?? ''))
      .map(([n, s]) => `${n}: ${s.image}`);
    expect(unpinned).toEqual([]);
  });

  it('builds its images from Dockerfile stages that exist', () => {
    const missing = Object.entries(services)
      .filter(([, s]) => s.build)
      .filter(([, s]) => {
        const b = typeof s.build === 'string' ? { context: s.build } : (s.build as Build);
        const dockerfilePath = path.join(ROOT, b.context ?? '.', b.dockerfile ?? 'Dockerfile');
        return path.resolve(dockerfilePath) !== path.join(ROOT, 'Dockerfile') || !stages.some((st) => st.name === buildTarget(s));
      })
      .map(([n]) => n);
    expect(missing).toEqual([]);
    expect(buildTarget(service('worker'))).toBe('worker');
    for (const name of ['api', 'ingest', 'migrate']) expect(buildTarget(service(name))).not.toBe('worker');
  });

  it('depends only on services that exist, with conditions those services can meet, and no cycle', () => {
    const problems: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        const target = services[dep];
        if (!target) {
          problems.push(`${name} → ${dep}: no such service`);
          continue;
        }
        if (!['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition)) {
          problems.push(`${name} → ${dep}: unknown condition ${condition}`);
        }
        if (condition === 'service_healthy' && (!target.healthcheck?.test || target.healthcheck.disable)) {
          problems.push(`${name} → ${dep}: waits for health but ${dep} has no healthcheck`);
        }
        if (condition === 'service_completed_successfully' && ['always', 'unless-stopped'].includes(target.restart ?? '')) {
          problems.push(`${name} → ${dep}: waits for completion but ${dep} restarts forever`);
        }
      }
    }
    expect(problems).toEqual([]);

    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (name: string, trail: string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) {
        cycles.push([...trail, name].join(' → '));
        return;
      }
      visiting.add(name);
      for (const dep of Object.keys(dependsOn(services[name] ?? {}))) if (services[dep]) visit(dep, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name, []);
    expect(cycles).toEqual([]);
  });

  it('starts the app processes after migrations, Temporal and NATS', () => {
    for (const name of ['api', 'worker', 'ingest']) {
      const deps = dependsOn(service(name));
      expect({ name, migrate: deps.migrate }).toEqual({ name, migrate: 'service_completed_successfully' });
      expect({ name, nats: deps.nats }).toEqual({ name, nats: 'service_healthy' });
      // Temporal itself, or the one-shot that registers the namespace once Temporal is healthy.
      const temporalReady = Object.keys(deps).some((d) => d === 'temporal' || dependsOn(service(d)).temporal === 'service_healthy');
      expect({ name, temporalReady }).toEqual({ name, temporalReady: true });
    }
    expect(dependsOn(service('migrate')).postgres).toBe('service_healthy');
  });

  it('documents every interpolated variable in deploy/.env.example, with a value for the required ones', () => {
    const used = interpolations(composeText);
    expect(used.length).toBeGreaterThan(0);
    const undocumented = [...new Set(used.filter((v) => !envExample.has(v.name)).map((v) => v.name))];
    expect(undocumented).toEqual([]);
    const requiredWithoutValue = [...new Set(used.filter((v) => v.required && !envExample.get(v.name)).map((v) => v.name))];
    expect(requiredWithoutValue).toEqual([]);
    const usedNames = new Set(used.map((v) => v.name));
    const stale = [...envExample.keys()].filter((k) => !usedNames.has(k));
    expect(stale).toEqual([]);
  });

  it('keeps secrets out of the file: passwords and keys come from required variables', () => {
    for (const key of ['POSTGRES_PASSWORD', 'VIGIE_OWNER_PASSWORD', 'VIGIE_APP_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'JWT_SECRET']) {
      expect({ key, required: interpolations(composeText).some((v) => v.name === key && v.required) }).toEqual({ key, required: true });
    }
  });

  it('mounts only repository paths that exist, and reads secrets from git-ignored files', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const [source] of bindMounts(s)) {
        if (!fs.existsSync(path.resolve(ROOT, source))) missing.push(`${name}: ${source}`);
      }
    }
    expect(missing).toEqual([]);

    const secretFiles = Object.entries(compose.secrets ?? {}).map(([n, v]) => [n, v.file ?? ''] as const);
    const committed = secretFiles.filter(([, file]) => !file || !gitIgnored(path.relative(ROOT, path.resolve(ROOT, file))));
    expect(committed).toEqual([]);
    const undeclared: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const ref of s.secrets ?? []) {
        const source = typeof ref === 'string' ? ref : ref.source;
        if (!compose.secrets?.[source]) undeclared.push(`${name}: ${source}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('runs each Vigie process with its agreed entry point', () => {
    for (const [name, entry] of Object.entries(ENTRY_POINTS)) {
      expect({ name, command: words(service(name).command) }).toEqual({ name, command: ['node', entry] });
      expect({ name, entrypoint: service(name).entrypoint }).toEqual({ name, entrypoint: undefined });
    }
  });

  it('gives api, worker and ingest every setting the app reads, with the least-privileged database role', () => {
    for (const name of NATS_CLIENTS) {
      const env = envOf(service(name));
      const expected = APP_ENV.filter((k) => k !== 'DATABASE_OWNER_URL' && (name === 'api' || !['HOST', 'PORT'].includes(k)));
      expect({ name, missing: expected.filter((k) => !(k in env)) }).toEqual({ name, missing: [] });
      expect({ name, owner: env.DATABASE_OWNER_URL }).toEqual({ name, owner: undefined });
      expect(env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/vigie_app:/);
      expect(env.NODE_ENV).toBe('production');
    }
    expect(envOf(service('api')).HOST).toBe('0.0.0.0');
    const migrate = envOf(service('migrate'));
    expect(migrate.DATABASE_OWNER_URL).toMatch(/^postgres(ql)?:\/\/vigie_owner:/);
  });

  it('hands each NATS client its credentials and CA as mounted secrets', () => {
    const networks = service('nats').networks;
    const aliases = networks && !Array.isArray(networks) ? Object.values(networks).flatMap((n) => n?.aliases ?? []) : [];
    const natsNames = ['nats', ...aliases];
    for (const name of NATS_CLIENTS) {
      const s = service(name);
      const env = envOf(s);
      const mounted = (s.secrets ?? []).map((r) => (typeof r === 'string' ? `/run/secrets/${r}` : (r.target ?? `/run/secrets/${r.source}`)));
      expect({ name, creds: mounted.includes(env.NATS_CREDS ?? '') }).toEqual({ name, creds: true });
      expect({ name, ca: mounted.includes(env.NODE_EXTRA_CA_CERTS ?? '') }).toEqual({ name, ca: true });
      // The host must resolve inside the compose network: the service name or one of its aliases.
      const host = /^(?:tls|nats):\/\/(.+):4222$/.exec(env.NATS_URL ?? '')?.[1] ?? '';
      expect({ name, host, resolves: natsNames.includes(host) }).toEqual({ name, host, resolves: true });
    }
  });

  it('checks health where it can: api on /healthz, postgres with pg_isready', () => {
    expect(words(service('api').healthcheck?.test).join(' ')).toContain('/healthz');
    expect(words(service('postgres').healthcheck?.test).join(' ')).toContain('pg_isready');
  });

  it('publishes the Temporal UI on 8233 and the api on 3000', () => {
    const ports = (name: string): string[] => (service(name).ports ?? []).map(String);
    expect(ports('temporal-ui').some((p) => /(^|:)8233:8080$/.test(p))).toBe(true);
    expect(ports('api').some((p) => /:3000$/.test(p))).toBe(true);
  });
});

describe('deploy/postgres/init', () => {
  const init = bindMounts(service('postgres')).find(([, target]) => target === '/docker-entrypoint-initdb.d');
  const script = path.join(ROOT, init?.[0] ?? 'deploy/postgres/init', '01-roles.sh');

  it('is mounted as the image init directory and holds an executable, valid shell script', () => {
    expect(init?.[0]).toBe('./deploy/postgres/init');
    expect(fs.statSync(script).mode & 0o111).not.toBe(0);
    const check = spawnSync('sh', ['-n', script], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('creates the owner role with BYPASSRLS, the app role without, and vigie owned by the owner', () => {
    const sql = fs.readFileSync(script, 'utf8').toLowerCase();
    expect(sql).toMatch(/create role vigie_owner with login bypassrls\b/);
    expect(sql).toMatch(/create role vigie_app with login nobypassrls\b/);
    expect(sql).toMatch(/create database vigie owner vigie_owner;/);
    expect(sql).toMatch(/create database temporal owner temporal;/);
    expect(sql).toMatch(/create database temporal_visibility owner temporal;/);
  });

  it('receives every password it requires from the postgres service environment', () => {
    const text = fs.readFileSync(script, 'utf8');
    const required = [...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1] as string);
    expect(required.length).toBeGreaterThanOrEqual(3);
    const env = envOf(service('postgres'));
    expect(required.filter((k) => !env[k])).toEqual([]);
  });
});

describe('deploy/nats/nats.conf', () => {
  const nats = service('nats');
  const confMount = bindMounts(nats).find(([source]) => source === './deploy/nats');
  const conf = read('deploy/nats/nats.conf');
  /** The body of a top-level block `name { ... }` or `name: { ... }` (no nested braces in ours). */
  const block = (name: string): string => new RegExp(`^${name}\\s*:?\\s*\\{([^}]*)\\}`, 'm').exec(conf)?.[1] ?? '';
  const setting = (body: string, key: string): string | undefined =>
    new RegExp(`^\\s*${key}\\s*[:=]?\\s*"?([^"\\n]+?)"?\\s*$`, 'm').exec(body)?.[1];

  it('is the file the server runs with', () => {
    expect(confMount).toBeDefined();
    expect(words(nats.command)).toContain(`${confMount?.[1]}/nats.conf`);
  });

  it('enables JetStream with a deliberate sync_interval, on a persistent volume', () => {
    const js = block('jetstream');
    expect(setting(js, 'sync_interval')).toMatch(/^(always|\d+(ms|s|m))$/);
    const storeDir = setting(js, 'store_dir') ?? '';
    const volumeTargets = namedVolumeMounts(nats).map(([, target]) => target);
    expect(volumeTargets.some((t) => storeDir.startsWith(`${t}/`))).toBe(true);
  });

  it('requires TLS with a certificate and key from the mounted directory', () => {
    const tls = block('tls');
    for (const key of ['cert_file', 'key_file']) {
      expect({ key, inMount: (setting(tls, key) ?? '').startsWith(`${confMount?.[1]}/`) }).toEqual({ key, inMount: true });
    }
  });

  it('takes operator, accounts and resolver from the generated auth.conf only', () => {
    expect(conf).toMatch(/^include\s+"?(\.\/)?auth\.conf"?\s*$/m);
    // One source for these settings: a second definition here would silently override or be overridden.
    expect(conf).not.toMatch(/^\s*(operator|system_account|resolver|resolver_preload)\s*[:={]/m);
    // auth.conf is generated per deployment, never committed.
    expect(gitIgnored('deploy/nats/auth.conf')).toBe(true);
  });

  it('is generated, as deploy/README.md says, with a full resolver on the volume and creds the services mount', () => {
    const readme = read('deploy/README.md');
    const command = /\bnode scripts\/dist\/nats-auth\.js\s+(\S+)\s+(\S+)/.exec(readme);
    expect(command).not.toBeNull();
    const [, outDir = '', resolverDir = ''] = command ?? [];
    expect(namedVolumeMounts(nats).some(([, t]) => resolverDir.startsWith(`${t}/`))).toBe(true);
    const rendered = authConfig(
      { operatorJwt: 'o', systemAccount: 'S', systemAccountJwt: 's', account: 'A', accountJwt: 'a', credsFile: '' },
      resolverDir,
    );
    expect(rendered).toMatch(/resolver:\s*\{[^}]*\btype:\s*full\b/);
    expect(rendered).toContain(`dir: "${resolverDir}"`);
    // auth.conf reaches the directory the server mounts; the creds file is the services' secret.
    expect(readme).toContain(`cp ${outDir}/auth.conf ${confMount?.[0].replace(/^\.\//, '')}/auth.conf`);
    expect(path.normalize(compose.secrets?.nats_service_creds?.file ?? '')).toBe(path.normalize(`${outDir}/service.creds`));
    expect(gitIgnored(`${outDir}/keys.json`)).toBe(true);
  });
});

describe('deploy scripts', () => {
  const scripts = fs.readdirSync(path.join(ROOT, 'deploy'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sh'));

  it.each(scripts)('deploy/%s is valid shell', (rel) => {
    const check = spawnSync('sh', ['-n', path.join(ROOT, 'deploy', rel)], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('runs the scripts that one-shot services name from their mounted directory', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const arg of words(s.command).filter((w) => w.endsWith('.sh'))) {
        const mount = bindMounts(s).find(([, target]) => arg.startsWith(`${target}/`));
        if (!mount || !fs.existsSync(path.resolve(ROOT, mount[0], arg.slice(mount[1].length + 1)))) missing.push(`${name}: ${arg}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const rootPackage = JSON.parse(read('package.json')) as { workspaces: string[] };
  const copies = (st: Stage[]): string[] => st.flatMap((s) => s.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args));

  it('builds on node:24-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThan(0);
    const external = stages.filter((s) => !stages.some((st) => st.name === s.from)).map((s) => s.from);
    expect([...new Set(external)]).toEqual(['node:24-bookworm-slim']);
  });

  it('has a default runtime stage and a worker stage', () => {
    expect(stages[stages.length - 1]?.name).toBe('runtime');
    expect(stages.map((s) => s.name)).toContain('worker');
  });

  it('copies every workspace manifest before npm ci', () => {
    const copied = copies(stages);
    const missing = rootPackage.workspaces.filter((ws) => !copied.some((c) => c.split(' ').includes(`${ws}/package.json`)));
    expect(missing).toEqual([]);
  });

  it('builds with npm ci + npm run build and ships production dependencies only', () => {
    const runs = (names: Stage[]): string[] => names.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    for (const final of ['runtime', 'worker']) {
      const all = contributingStages(final);
      const finalRuns = runs(all.filter((s) => s.name !== 'build'));
      expect({ final, prodInstall: finalRuns.some((r) => /npm ci\b.*--omit=dev/.test(r)) }).toEqual({ final, prodInstall: true });
      expect({ final, devInstall: finalRuns.some((r) => /npm (ci|install)\b/.test(r) && !/--omit=dev/.test(r)) }).toEqual({ final, devInstall: false });
    }
    const buildRuns = runs([stage('build')]);
    expect(buildRuns.some((r) => /npm ci\b/.test(r))).toBe(true);
    expect(buildRuns.some((r) => /npm run build\b/.test(r))).toBe(true);
  });

  it('ships the compiled code of every entry point, the workflow bundles and the web app', () => {
    for (const final of ['runtime', 'worker']) {
      const copied = copies(contributingStages(final));
      const needed = [...new Set(Object.values(ENTRY_POINTS).map((e) => e.split('/').slice(0, 2).join('/')))];
      needed.push('migrations/dist', 'web/dist', 'workflows/bundles');
      const missing = needed.filter((dir) => !copied.some((c) => /--from=build\b/.test(c) && c.split(' ').includes(dir)));
      expect({ final, missing }).toEqual({ final, missing: [] });
    }
  });

  it('runs as a non-root user', () => {
    for (const final of ['runtime', 'worker']) {
      const users = lineage(final).flatMap((s) => s.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args));
      // lineage is nearest-first: the first USER found is the one in effect.
      expect({ final, user: users[0] ?? 'root' }).not.toEqual({ final, user: expect.stringMatching(/^(root|0)(:.*)?$/) });
    }
  });

  it('gives the worker LibreOffice for Carbone, with its directories first on PATH', () => {
    const worker = lineage('worker');
    const runs = worker.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)).join(' ');
    expect(WORKER_PACKAGES.filter((p) => !new RegExp(`apt-get install[^&;]*\\b${p}\\b`).test(runs))).toEqual([]);
    const pathEnv = worker
      .flatMap((s) => s.instructions.filter((i) => i.keyword === 'ENV'))
      .map((i) => /(?:^|\s)PATH=(\S+)/.exec(i.args)?.[1])
      .find((v) => v !== undefined);
    expect(pathEnv).toMatch(/^\/usr\/lib\/libreoffice\/program:\/usr\/bin(:|$)/);
    // The runtime image stays without LibreOffice.
    const runtimeRuns = lineage('runtime').flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)).join(' ');
    expect(runtimeRuns).not.toMatch(/libreoffice/);
  });

  it('keeps local data, dependencies and secrets out of the build context', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.env', '.data', 'deploy/secrets']));
  });
});

const composeCommand = ((): string[] | null => {
  const bin = process.env.DOCKER_COMPOSE_BIN;
  if (bin) return [bin];
  return spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0 ? ['docker', 'compose'] : null;
})();

// Without the compose plugin (a Docker CLI without it, or none) only the static checks above run.
(composeCommand ? it : it.skip)('passes `docker compose config` with deploy/.env.example', () => {
  const [cmd, ...pre] = composeCommand as string[];
  const result = spawnSync(cmd as string, [...pre, '-f', 'docker-compose.yml', '--env-file', 'deploy/.env.example', 'config', '-q'], {
    cwd: ROOT,
    encoding: 'utf8',
    // Only the example file may feed interpolation: no stray variable from the caller's shell.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});
