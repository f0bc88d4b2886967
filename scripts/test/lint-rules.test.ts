import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The sandbox rule: workflow code cannot import Node built-ins, I/O libraries, or activities as values. */
const root = path.resolve(__dirname, '..', '..');

/** Runs the project's ESLint CLI on `code` as if it were `file` (a child process: ESLint loads an ESM config). */
async function restrictedImports(code: string, file: string): Promise<string[]> {
  const out = spawnSync(process.execPath, [path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', file, '--format', 'json'], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(out.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

it('rejects Node built-ins, I/O libraries and value imports of activities in workflows/src', async () => {
  const code = [
    "import fs from 'node:fs';",
    "import { randomUUID } from 'crypto';",
    "import knex from 'knex';",
    "import { createTenantActivities } from '@vigie/activities';",
    'export const used = [fs, randomUUID, knex, createTenantActivities];',
  ].join('\n');
  const messages = await restrictedImports(code, 'workflows/src/tenants/probe.ts');
  expect(messages).toHaveLength(4);
});

it('allows the workflow SDK, core and type-only activity imports there, and Node built-ins elsewhere', async () => {
  const workflow = [
    "import { proxyActivities } from '@temporalio/workflow';",
    "import { workflowId } from '@vigie/core';",
    "import type { TenantActivities } from '@vigie/activities';",
    'export const a = proxyActivities<TenantActivities>({ startToCloseTimeout: 1000 });',
    'export const b = workflowId;',
  ].join('\n');
  expect(await restrictedImports(workflow, 'workflows/src/tenants/probe.ts')).toEqual([]);
  expect(await restrictedImports("import fs from 'node:fs';\nexport const x = fs;", 'api/src/probe.ts')).toEqual([]);
});
