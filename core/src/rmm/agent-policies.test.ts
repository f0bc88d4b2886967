import fc from 'fast-check';
import { createAgentPolicyBodySchema, updateAgentPolicyBodySchema } from '../schemas/agent-policies';
import type { AlertScope } from '../schemas/alerts';
import type { MachineScope } from './alert-rules';
import { agentSettingsVersion, DEFAULT_AGENT_SETTINGS, effectiveAgentPolicy, resolveAgentPolicy, SCOPE_SPECIFICITY } from './agent-policies';

const MACHINE = '00000000-0000-4000-8000-00000000000a';
const OTHER_MACHINE = '00000000-0000-4000-8000-00000000000b';
const SITE = '00000000-0000-4000-8000-0000000000a1';
const CLIENT = '00000000-0000-4000-8000-0000000000c1';
const OTHER_CLIENT = '00000000-0000-4000-8000-0000000000c2';

const machine: MachineScope = { id: MACHINE, clientId: CLIENT, siteId: SITE, tags: ['serveur', 'linux'] };

let seq = 0;
function policy(scope: AlertScope, over: { enabled?: boolean; updatedAt?: string; id?: string; metricsIntervalSeconds?: number } = {}) {
  seq++;
  return {
    id: over.id ?? `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    name: `p${seq}`,
    enabled: over.enabled ?? true,
    scope,
    metricsIntervalSeconds: over.metricsIntervalSeconds ?? 60 + seq,
    watchServices: [],
    watchProcesses: [],
    updatedAt: over.updatedAt ?? '2027-03-01T10:00:00.000Z',
  };
}

describe('resolveAgentPolicy', () => {
  const all = policy({ kind: 'all' });
  const tag = policy({ kind: 'tag', tag: 'serveur' });
  const client = policy({ kind: 'client', id: CLIENT });
  const site = policy({ kind: 'site', id: SITE });
  const own = policy({ kind: 'machine', id: MACHINE });

  it.each([
    ['nothing', [], null],
    ['only the tenant-wide one', [all], all],
    ['a tag beats all', [all, tag], tag],
    ['a client beats a tag', [tag, client, all], client],
    ['a site beats its client', [client, site, tag], site],
    ['the machine’s own beats everything', [site, own, client, all, tag], own],
  ] as const)('%s', (_label, policies, expected) => {
    expect(resolveAgentPolicy(policies, machine)).toBe(expected);
  });

  it('skips disabled policies and those that do not apply', () => {
    const offOwn = policy({ kind: 'machine', id: MACHINE }, { enabled: false });
    const otherMachine = policy({ kind: 'machine', id: OTHER_MACHINE });
    const otherClient = policy({ kind: 'client', id: OTHER_CLIENT });
    const otherTag = policy({ kind: 'tag', tag: 'windows' });
    expect(resolveAgentPolicy([offOwn, otherMachine, otherClient, otherTag, all], machine)).toBe(all);
    expect(resolveAgentPolicy([offOwn, otherMachine], machine)).toBeNull();
    // A machine without site is not matched by a site policy.
    expect(resolveAgentPolicy([site], { ...machine, siteId: null })).toBeNull();
  });

  it('breaks a tie by the most recent change, then by id', () => {
    const older = policy({ kind: 'tag', tag: 'serveur' }, { updatedAt: '2027-03-01T10:00:00.000Z' });
    const newer = policy({ kind: 'tag', tag: 'linux' }, { updatedAt: '2027-03-02T10:00:00.000Z' });
    expect(resolveAgentPolicy([newer, older], machine)).toBe(newer);
    expect(resolveAgentPolicy([older, newer], machine)).toBe(newer);
    const a = policy({ kind: 'all' }, { id: '00000000-0000-4000-8000-00000000aaaa' });
    const b = policy({ kind: 'all' }, { id: '00000000-0000-4000-8000-00000000bbbb' });
    expect(resolveAgentPolicy([a, b], machine)).toBe(resolveAgentPolicy([b, a], machine));
  });

  const scopeArb = fc.oneof(
    fc.constant<AlertScope>({ kind: 'all' }),
    fc.constantFrom(CLIENT, OTHER_CLIENT).map((id): AlertScope => ({ kind: 'client', id })),
    fc.constantFrom(SITE).map((id): AlertScope => ({ kind: 'site', id })),
    fc.constantFrom(MACHINE, OTHER_MACHINE).map((id): AlertScope => ({ kind: 'machine', id })),
    fc.constantFrom('serveur', 'linux', 'windows').map((tag): AlertScope => ({ kind: 'tag', tag })),
  );
  const policiesArb = fc.uniqueArray(
    fc.record({
      id: fc.uuid(),
      enabled: fc.boolean(),
      scope: scopeArb,
      updatedAt: fc.integer({ min: 0, max: 5 }).map((d) => new Date(Date.UTC(2027, 2, 1 + d)).toISOString()),
    }),
    { selector: (p) => p.id, maxLength: 12 },
  );

  it('property: the winner applies, is enabled, and no applicable policy is more specific or newer at its level', () => {
    fc.assert(
      fc.property(policiesArb, (policies) => {
        const winner = resolveAgentPolicy(policies, machine);
        const applicable = policies.filter((p) => p.enabled && resolveAgentPolicy([p], machine) === p);
        if (!winner) return applicable.length === 0;
        const rank = SCOPE_SPECIFICITY[winner.scope.kind];
        return (
          applicable.includes(winner) &&
          applicable.every((p) => SCOPE_SPECIFICITY[p.scope.kind] < rank || (SCOPE_SPECIFICITY[p.scope.kind] === rank && Date.parse(p.updatedAt) <= Date.parse(winner.updatedAt)))
        );
      }),
    );
  });

  it('property: the order of the policies does not change the winner', () => {
    fc.assert(
      fc.property(policiesArb.chain((ps) => fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length }))), ([policies, shuffled]) => {
        expect(resolveAgentPolicy(shuffled, machine)).toBe(resolveAgentPolicy(policies, machine));
      }),
    );
  });
});

describe('effectiveAgentPolicy and its version', () => {
  it('gives the defaults without a policy: 60 s, nothing watched', () => {
    expect(effectiveAgentPolicy(null)).toEqual({ metricsIntervalSeconds: 60, watchServices: [], watchProcesses: [], policy: null, version: agentSettingsVersion(DEFAULT_AGENT_SETTINGS, false) });
  });

  it('gives the winning policy’s settings and names it', () => {
    const p = { ...policy({ kind: 'site', id: SITE }), metricsIntervalSeconds: 120, watchServices: ['nginx'], watchProcesses: ['backup-agent'] };
    expect(effectiveAgentPolicy(p)).toMatchObject({ metricsIntervalSeconds: 120, watchServices: ['nginx'], watchProcesses: ['backup-agent'], policy: { id: p.id, name: p.name, scope: p.scope } });
  });

  it('is stable and depends only on the settings (and on a policy applying at all)', () => {
    const settings = { metricsIntervalSeconds: 120, watchServices: ['nginx', 'postgresql'], watchProcesses: ['java'] };
    const v = agentSettingsVersion(settings, true);
    expect(v).toMatch(/^v1-[0-9a-f]{16}$/);
    expect(agentSettingsVersion({ ...settings, watchServices: ['postgresql', 'nginx'] }, true)).toBe(v);
    expect(agentSettingsVersion({ ...settings, metricsIntervalSeconds: 180 }, true)).not.toBe(v);
    expect(agentSettingsVersion({ ...settings, watchServices: ['nginx'] }, true)).not.toBe(v);
    expect(agentSettingsVersion({ ...settings, watchProcesses: [] }, true)).not.toBe(v);
    // A service and a process of the same name are not the same setting.
    expect(agentSettingsVersion({ metricsIntervalSeconds: 60, watchServices: ['x'], watchProcesses: [] }, true)).not.toBe(agentSettingsVersion({ metricsIntervalSeconds: 60, watchServices: [], watchProcesses: ['x'] }, true));
    // The first policy, even with the defaults' settings, is news to an agent that had none.
    expect(agentSettingsVersion(DEFAULT_AGENT_SETTINGS, true)).not.toBe(agentSettingsVersion(DEFAULT_AGENT_SETTINGS, false));
    // Same settings from two policies: same version (nothing for the agent to do).
    const a = effectiveAgentPolicy({ ...policy({ kind: 'all' }), ...settings });
    const b = effectiveAgentPolicy({ ...policy({ kind: 'tag', tag: 'x' }), ...settings });
    expect(a.version).toBe(b.version);
  });
});

describe('policy bodies', () => {
  it('fills the defaults and sorts the names without duplicates', () => {
    expect(createAgentPolicyBodySchema.parse({ name: ' Serveurs ', watchServices: ['postgresql', 'nginx', 'nginx'] })).toEqual({
      name: 'Serveurs',
      enabled: true,
      scope: { kind: 'all' },
      metricsIntervalSeconds: 60,
      watchServices: ['nginx', 'postgresql'],
      watchProcesses: [],
    });
  });

  it.each([
    ['metricsIntervalSeconds', { metricsIntervalSeconds: 59 }],
    ['metricsIntervalSeconds', { metricsIntervalSeconds: 301 }],
    ['metricsIntervalSeconds', { metricsIntervalSeconds: 90.5 }],
    ['watchServices.0', { watchServices: ['../etc/passwd'] }],
    ['watchProcesses.0', { watchProcesses: ['a"b'] }],
    ['watchProcesses.0', { watchProcesses: [''] }],
    ['watchProcesses.0', { watchProcesses: ['x'.repeat(129)] }],
    ['watchServices', { watchServices: Array.from({ length: 51 }, (_, i) => `svc${i}`) }],
    ['scope.tag', { scope: { kind: 'tag', tag: 'Bad Tag!' } }],
    ['(body)', { color: 'blue' }],
  ])('refuses a bad %s', (path, body) => {
    const result = createAgentPolicyBodySchema.safeParse({ name: 'P', ...body });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.') || '(body)')).toContain(path);
  });

  it('accepts Windows names with spaces and the usual unit characters', () => {
    const body = createAgentPolicyBodySchema.parse({ name: 'P', watchServices: ['Windows Update', 'getty@tty1', 'systemd-journald.service'], watchProcesses: ['notepad++.exe'] });
    expect(body.watchServices).toEqual(['Windows Update', 'getty@tty1', 'systemd-journald.service'].sort());
  });

  it('updates only what is given', () => {
    expect(updateAgentPolicyBodySchema.parse({ enabled: false })).toEqual({ enabled: false });
  });
});
