import { randomUUID } from 'node:crypto';
import { createClientBodySchema, createContactBodySchema, createContractBodySchema, hourBankTermsSchema, type HourBankTerms } from '@vigie/core';
import { clientsRepo, contractsRepo, pipelineRepo, tenantsRepo, usersRepo, withTenant, type Db } from '@vigie/db';

export interface SeededHourBank {
  tenantId: string;
  managerId: string;
  managerEmail: string;
  clientId: string;
  contactEmail: string;
  contractId: string;
}

/**
 * A tenant with a manager, a client with a contact, the default pipeline, and an active hour-bank
 * contract with the given terms (no blocks yet), written straight to Postgres.
 */
export async function seedHourBank(db: Db, terms: Partial<HourBankTerms> = {}): Promise<SeededHourBank> {
  const tenantId = randomUUID();
  const managerId = randomUUID();
  const clientId = randomUUID();
  const contractId = randomUUID();
  const managerEmail = `manager-${managerId.slice(0, 8)}@msp.test`;
  const contactEmail = `dsi-${clientId.slice(0, 8)}@client.test`;
  await withTenant(db, tenantId, async (tx) => {
    await tenantsRepo.insertTenant(tx, { id: tenantId, name: 'Hour banks' });
    await pipelineRepo.ensureDefaultStages(tx, tenantId);
    await usersRepo.insertUser(tx, tenantId, { id: managerId, email: managerEmail, name: 'Claire Manager', passwordHash: 'x', role: 'manager' });
    await clientsRepo.insertClient(tx, tenantId, clientId, createClientBodySchema.parse({ name: 'Cabinet Durand' }));
    const contact = await clientsRepo.insertContact(tx, tenantId, clientId, randomUUID(), createContactBodySchema.parse({ name: 'Paul Durand', email: contactEmail }));
    const body = createContractBodySchema.parse({
      type: 'hour_bank',
      clientId,
      name: 'Support 2027',
      accountManagerId: managerId,
      notifyContactId: contact.id,
      hourlyRateCents: 9000,
      hourBank: hourBankTermsSchema.parse(terms),
    });
    await contractsRepo.insertContract(tx, { tenantId, id: contractId, startDate: '2027-01-01' }, body);
    await contractsRepo.updateContract(tx, contractId, { status: 'active' });
  });
  return { tenantId, managerId, managerEmail, clientId, contactEmail, contractId };
}
