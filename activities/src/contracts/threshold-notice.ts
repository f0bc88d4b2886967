import type { Contract, Threshold } from '@vigie/core';
import { usersRepo, type TenantTx } from '@vigie/db';

const hours = (minutes: number) => `${(minutes / 60).toLocaleString('fr-FR', { maximumFractionDigits: 2 })} h`;

const levelText = (t: Threshold) => (t.kind === 'percent' ? `${t.value} %` : hours(t.value));

/** Who hears of a crossed threshold: the account manager, or else the tenant's admins and managers. */
export async function thresholdRecipients(tx: TenantTx, contract: Contract): Promise<{ id: string; email: string }[]> {
  const manager = contract.accountManagerId ? await usersRepo.findUserById(tx, contract.accountManagerId) : undefined;
  if (manager && !manager.disabled) return [{ id: manager.id, email: manager.email }];
  const rows = (await tx('users').whereIn('role', ['admin', 'manager']).where({ disabled: false }).orderBy('created_at').select('id', 'email')) as { id: string; email: string }[];
  return rows;
}

export function thresholdMessage(contract: Contract, threshold: Threshold, balanceMinutes: number): { subject: string; text: string; clientText: string } {
  const subject = `Banque d'heures « ${contract.name} » : seuil de ${levelText(threshold)} atteint`;
  const left = `Il reste ${hours(balanceMinutes)} sur le contrat « ${contract.name} » (${contract.clientName}).`;
  return {
    subject,
    text: `${left}\n\nUne proposition de renouvellement a été préparée en brouillon dans le pipeline.\n`,
    clientText: `Bonjour,\n\n${left}\n\nVotre prestataire vous proposera prochainement un renouvellement.\n`,
  };
}
