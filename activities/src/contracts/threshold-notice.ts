import type { Contract, Threshold } from '@vigie/core';

const hours = (minutes: number) => `${(minutes / 60).toLocaleString('fr-FR', { maximumFractionDigits: 2 })} h`;

const levelText = (t: Threshold) => (t.kind === 'percent' ? `${t.value} %` : hours(t.value));

export function thresholdMessage(contract: Contract, threshold: Threshold, balanceMinutes: number): { subject: string; text: string; clientText: string } {
  const subject = `Banque d'heures « ${contract.name} » : seuil de ${levelText(threshold)} atteint`;
  const left = `Il reste ${hours(balanceMinutes)} sur le contrat « ${contract.name} » (${contract.clientName}).`;
  return {
    subject,
    text: `${left}\n\nUne proposition de renouvellement a été préparée en brouillon dans le pipeline.\n`,
    clientText: `Bonjour,\n\n${left}\n\nVotre prestataire vous proposera prochainement un renouvellement.\n`,
  };
}
