import { randomUUID } from 'node:crypto';
import type { Team } from '@vigie/core';
import type { TenantTx } from '../tenancy';

interface TeamRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

async function withMembers(tx: TenantTx, rows: TeamRow[]): Promise<Team[]> {
  const members = (await tx('team_members as m')
    .join('users as u', function () {
      this.on('u.tenant_id', 'm.tenant_id').andOn('u.id', 'm.user_id');
    })
    .whereIn(
      'm.team_id',
      rows.map((r) => r.id),
    )
    .orderBy('u.name')
    .select('m.team_id', 'u.id', 'u.name')) as { team_id: string; id: string; name: string }[];
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    members: members.filter((m) => m.team_id === r.id).map(({ id, name }) => ({ id, name })),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

export async function listTeams(tx: TenantTx): Promise<Team[]> {
  return withMembers(tx, (await tx('teams').orderBy([{ column: 'name' }, { column: 'id' }])) as TeamRow[]);
}

export async function findTeam(tx: TenantTx, id: string): Promise<Team | undefined> {
  const row = (await tx('teams').where({ id }).first()) as TeamRow | undefined;
  return row ? (await withMembers(tx, [row]))[0] : undefined;
}

async function setMembers(tx: TenantTx, tenantId: string, teamId: string, memberIds: string[]): Promise<void> {
  await tx('team_members').where({ team_id: teamId }).delete();
  if (memberIds.length) await tx('team_members').insert([...new Set(memberIds)].map((userId) => ({ tenant_id: tenantId, team_id: teamId, user_id: userId })));
}

export async function insertTeam(tx: TenantTx, tenantId: string, body: { name: string; memberIds: string[] }): Promise<Team> {
  const id = randomUUID();
  await tx('teams').insert({ tenant_id: tenantId, id, name: body.name });
  await setMembers(tx, tenantId, id, body.memberIds);
  return (await findTeam(tx, id))!;
}

export async function updateTeam(tx: TenantTx, tenantId: string, id: string, body: { name?: string | undefined; memberIds?: string[] | undefined }): Promise<Team> {
  await tx('teams').where({ id }).update({ ...(body.name !== undefined ? { name: body.name } : {}), updated_at: tx.fn.now() });
  if (body.memberIds) await setMembers(tx, tenantId, id, body.memberIds);
  return (await findTeam(tx, id))!;
}

export async function deleteTeam(tx: TenantTx, id: string): Promise<boolean> {
  return (await tx('teams').where({ id }).delete()) > 0;
}
