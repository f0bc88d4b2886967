import {
  adjustmentBodySchema,
  AppError,
  burndownQuerySchema,
  burndownSchema,
  buyBlockBodySchema,
  contractListQuerySchema,
  contractSchema,
  createContractBodySchema,
  hourBlockSchema,
  idParamsSchema,
  ledgerEntrySchema,
  ledgerQuerySchema,
  pageSchema,
  ROLES,
  updateContractBodySchema,
} from '@vigie/core';
import { contractsRepo } from '@vigie/db';
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route';
import * as contracts from './service';

const MANAGERS = ['admin', 'manager'] as const;

export const contractRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/contracts',
    tag: 'contracts',
    summary: 'List contracts (filters: clientId, type, status, q on contract or client name); a client user sees its own, drafts aside',
    auth: ROLES,
    query: contractListQuerySchema,
    response: pageSchema(contractSchema),
    handler: ({ tx, query, actor }) => {
      if (actor.role === 'client') {
        if (query.clientId && query.clientId !== actor.clientId) return Promise.resolve({ items: [], nextCursor: null });
        return tx((t) => contractsRepo.listContracts(t, { ...query, clientId: actor.clientId!, excludeDrafts: true }));
      }
      return tx((t) => contractsRepo.listContracts(t, query));
    },
  }),
  route({
    method: 'post',
    path: '/contracts',
    tag: 'contracts',
    summary: 'Create a contract (draft): hour bank, subscription or time & material, with the terms of its type',
    auth: MANAGERS,
    body: createContractBodySchema,
    response: contractSchema,
    idempotent: true,
    handler: (ctx) => contracts.createContract(ctx, ctx.body),
  }),
  route({
    method: 'get',
    path: '/contracts/:id',
    tag: 'contracts',
    summary: 'One contract; hour banks carry their balance, capacity and crossed thresholds',
    auth: ROLES,
    params: idParamsSchema,
    response: contractSchema,
    handler: ({ tx, params, actor }) => tx((t) => contracts.contractOr404(t, actor, params.id)),
  }),
  route({
    method: 'patch',
    path: '/contracts/:id',
    tag: 'contracts',
    summary: 'Change a contract: status (draft → active ⇄ suspended → ended), terms, default flag',
    auth: MANAGERS,
    params: idParamsSchema,
    body: updateContractBodySchema,
    response: contractSchema,
    handler: (ctx) => contracts.updateContract(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/contracts/:id/blocks',
    tag: 'contracts',
    summary: 'The hour blocks (packs) of an hour bank, oldest first',
    auth: ROLES,
    params: idParamsSchema,
    response: z.object({ items: z.array(hourBlockSchema) }),
    handler: ({ tx, params, actor }) =>
      tx(async (t) => {
        const contract = await contracts.contractOr404(t, actor, params.id);
        return { items: await contractsRepo.listBlocks(t, contract.id) };
      }),
  }),
  route({
    method: 'post',
    path: '/contracts/:id/blocks',
    tag: 'contracts',
    summary: 'Sell a pack of hours (the billing run turns it into an invoice line); applied by the contract workflow',
    auth: MANAGERS,
    params: idParamsSchema,
    body: buyBlockBodySchema,
    response: hourBlockSchema,
    idempotent: true,
    handler: (ctx) => contracts.sellBlock(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'post',
    path: '/contracts/:id/adjustments',
    tag: 'contracts',
    summary: 'Correct the balance with a reason (managers); refused beyond the overdraft limit',
    auth: MANAGERS,
    params: idParamsSchema,
    body: adjustmentBodySchema,
    response: ledgerEntrySchema,
    idempotent: true,
    handler: (ctx) => contracts.adjustHours(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/contracts/:id/ledger',
    tag: 'contracts',
    summary: 'The hour ledger (append-only), newest first: purchases, consumption, adjustments, reversals, expiry',
    auth: ROLES,
    params: idParamsSchema,
    query: ledgerQuerySchema,
    response: pageSchema(ledgerEntrySchema),
    handler: ({ tx, params, query, actor }) =>
      tx(async (t) => {
        const contract = await contracts.contractOr404(t, actor, params.id);
        if (contract.type !== 'hour_bank') throw AppError.notFound('ledger');
        const page = await contractsRepo.listLedger(t, contract.id, query);
        // The client sees what moved and why, not which of the provider's staff did it.
        return actor.role === 'client' ? { ...page, items: page.items.map((row) => ({ ...row, createdBy: null, createdByName: null })) } : page;
      }),
  }),
  route({
    method: 'get',
    path: '/contracts/:id/burndown',
    tag: 'contracts',
    summary: 'Balance at the end of each day with movements, over the last `days` days (for the burn-down chart)',
    auth: ROLES,
    params: idParamsSchema,
    query: burndownQuerySchema,
    response: burndownSchema,
    handler: ({ tx, params, query, actor }) =>
      tx(async (t) => {
        const contract = await contracts.contractOr404(t, actor, params.id);
        if (contract.type !== 'hour_bank') throw AppError.notFound('burn-down');
        return contractsRepo.burndown(t, contract.id, query.days);
      }),
  }),
];
