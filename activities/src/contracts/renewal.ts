import { randomUUID } from 'node:crypto';
import type { Contract } from '@vigie/core';
import { contractsRepo, pipelineRepo, quotesRepo, type TenantTx } from '@vigie/db';

const DAY = 86_400_000;
const DEFAULT_PACK_MINUTES = 600;
const RENEWAL_VAT_RATE = 20;

const hours = (minutes: number) => (minutes % 60 === 0 ? `${minutes / 60} h` : `${(minutes / 60).toFixed(2).replace('.', ',')} h`);

/** The usual pack: the contract's terms, else the size and price of its latest sale, else 10 h at the hourly rate. */
async function usualPack(tx: TenantTx, contract: Contract): Promise<{ minutes: number; priceCents: number }> {
  const lastSale = (await contractsRepo.listBlocks(tx, contract.id)).filter((b) => b.source === 'sale').at(-1);
  const minutes = contract.hourBank?.usualPackMinutes ?? lastSale?.minutes ?? DEFAULT_PACK_MINUTES;
  const priceCents =
    contract.hourBank?.usualPackPriceCents ??
    (lastSale && lastSale.minutes === minutes ? lastSale.priceCents : Math.round(((contract.hourlyRateCents ?? 0) * minutes) / 60));
  return { minutes, priceCents };
}

/**
 * A renewal proposal: an opportunity that renews the contract, with a draft quote for the usual pack,
 * owned by the account manager. At most one open at a time per contract.
 */
export async function proposeRenewal(tx: TenantTx, tenantId: string, contract: Contract): Promise<string | null> {
  if (await contractsRepo.hasOpenRenewal(tx, contract.id)) return null;
  // A tenant whose onboarding has not run yet still gets its default stages (idempotent).
  await pipelineRepo.ensureDefaultStages(tx, tenantId);
  const stage = (await pipelineRepo.listStages(tx)).find((s) => s.kind === 'open');
  if (!stage) return null; // every open stage was deleted: nowhere to put the proposal
  const pack = await usualPack(tx, contract);
  const opportunityId = randomUUID();
  await pipelineRepo.insertOpportunity(tx, tenantId, opportunityId, stage.id, contract.currency, {
    clientId: contract.clientId,
    title: `Renouvellement — ${contract.name}`,
    amountCents: pack.priceCents,
    ownerId: contract.accountManagerId,
    nextAction: 'Envoyer le devis de renouvellement',
  });
  await tx('opportunities').where({ id: opportunityId }).update({ renews_contract_id: contract.id, renewal_minutes: pack.minutes });
  const now = Date.now();
  const number = await quotesRepo.nextNumber(tx, tenantId, 'quote', new Date(now).getUTCFullYear());
  const quote = await quotesRepo.insertQuote(
    tx,
    {
      tenantId,
      id: randomUUID(),
      number,
      opportunityId,
      clientId: contract.clientId,
      currency: contract.currency,
      issueDate: new Date(now).toISOString().slice(0, 10),
      validUntil: new Date(now + 30 * DAY).toISOString().slice(0, 10),
    },
    {
      lines: [{ description: `Banque d'heures — pack de ${hours(pack.minutes)} (${contract.name})`, quantity: 1, unitPriceCents: pack.priceCents, vatRate: RENEWAL_VAT_RATE }],
      vatRounding: 'per_rate',
      notes: `Renouvellement du contrat « ${contract.name} ».`,
    },
  );
  return quote.id;
}
