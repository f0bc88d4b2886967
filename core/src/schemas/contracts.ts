import { z } from 'zod';
import { listQuerySchema } from './common';

export const CONTRACT_TYPES = ['hour_bank', 'subscription', 'time_material'] as const;
export type ContractType = (typeof CONTRACT_TYPES)[number];

export const CONTRACT_STATUSES = ['draft', 'active', 'suspended', 'ended'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/** Which status may follow which: an ended contract stays ended (make a new one). */
export const CONTRACT_TRANSITIONS: Record<ContractStatus, readonly ContractStatus[]> = {
  draft: ['active', 'ended'],
  active: ['suspended', 'ended'],
  suspended: ['active', 'ended'],
  ended: [],
};

export const BILLING_BASES = ['per_machine', 'per_user', 'per_site', 'flat'] as const;
export const BILLING_PERIODS = ['monthly', 'quarterly', 'yearly'] as const;
export const LEDGER_KINDS = ['purchase', 'consumption', 'adjustment', 'reversal', 'expiry'] as const;

const MAX_MINUTES = 1_000_000; // ≈ 16 666 h: far above any pack, far below int overflow
const minutes = (min: number) => z.number().int().min(min).max(MAX_MINUTES);
const cents = z.number().int().min(0).max(1e10);
const dateOnly = z.iso.date();

export const thresholdSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('percent'), value: z.number().int().min(1).max(99).meta({ description: 'percent of the live blocks left' }) }),
  z.strictObject({ kind: z.literal('minutes'), value: minutes(1).meta({ description: 'minutes left' }) }),
]);

const thresholdsSchema = z
  .array(thresholdSchema)
  .max(10)
  .refine((list) => new Set(list.map((t) => `${t.kind}:${t.value}`)).size === list.length, 'each threshold once');

export const hourBankTermsSchema = z
  .strictObject({
    roundingMinutes: z.number().int().min(0).max(240).default(0).meta({ description: 'each intervention rounded up to a multiple of this; 0: none' }),
    minimumMinutes: z.number().int().min(0).max(480).default(0).meta({ description: 'each intervention counts at least this' }),
    overdraftLimitMinutes: minutes(0).nullable().default(null).meta({ description: 'null: refuse (excess is out-of-contract billable time); n: allow down to −n' }),
    thresholds: thresholdsSchema.default([]),
    usualPackMinutes: minutes(1).nullable().default(null).meta({ description: 'size of the renewal proposal' }),
    usualPackPriceCents: cents.nullable().default(null),
  })
  .meta({ id: 'HourBankTerms' });
export type HourBankTerms = z.infer<typeof hourBankTermsSchema>;

export const subscriptionTermsSchema = z
  .strictObject({
    billingBasis: z.enum(BILLING_BASES),
    unitPriceCents: cents,
    billingPeriod: z.enum(BILLING_PERIODS),
    includedMinutes: minutes(0).nullable().default(null).meta({ description: 'hours included per period, if any' }),
  })
  .meta({ id: 'SubscriptionTerms' });
export type SubscriptionTerms = z.infer<typeof subscriptionTermsSchema>;

const contractBase = {
  clientId: z.uuid(),
  name: z.string().trim().min(1).max(200),
  startDate: dateOnly.optional().meta({ description: 'defaults to today' }),
  endDate: dateOnly.nullable().optional(),
  isDefault: z.boolean().default(false).meta({ description: 'covers the client’s tickets that name no contract' }),
  accountManagerId: z.uuid().nullable().optional(),
  notifyContactId: z.uuid().nullable().optional().meta({ description: 'client contact told when a threshold is crossed' }),
  currency: z.string().regex(/^[A-Z]{3}$/).default('EUR'),
  notes: z.string().max(5000).optional(),
};

/** The terms are typed by the contract type, so a subscription cannot carry hour-bank rules. */
export const createContractBodySchema = z
  .discriminatedUnion('type', [
    z.strictObject({ ...contractBase, type: z.literal('hour_bank'), hourlyRateCents: cents.nullable().optional().meta({ description: 'overage rate' }), hourBank: hourBankTermsSchema }),
    z.strictObject({ ...contractBase, type: z.literal('subscription'), hourlyRateCents: cents.nullable().optional(), subscription: subscriptionTermsSchema }),
    z.strictObject({ ...contractBase, type: z.literal('time_material'), hourlyRateCents: cents }),
  ])
  .meta({ id: 'CreateContractBody' });
export type CreateContractBody = z.infer<typeof createContractBodySchema>;

export const updateContractBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    status: z.enum(CONTRACT_STATUSES).optional(),
    endDate: dateOnly.nullable().optional(),
    isDefault: z.boolean().optional(),
    accountManagerId: z.uuid().nullable().optional(),
    notifyContactId: z.uuid().nullable().optional(),
    hourlyRateCents: cents.nullable().optional(),
    notes: z.string().max(5000).optional(),
    hourBank: hourBankTermsSchema.partial().optional(),
    subscription: subscriptionTermsSchema.partial().optional(),
  })
  .meta({ id: 'UpdateContractBody' });
export type UpdateContractBody = z.infer<typeof updateContractBodySchema>;

export const contractSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    clientName: z.string(),
    type: z.enum(CONTRACT_TYPES),
    name: z.string(),
    status: z.enum(CONTRACT_STATUSES),
    isDefault: z.boolean(),
    startDate: dateOnly,
    endDate: dateOnly.nullable(),
    currency: z.string(),
    hourlyRateCents: z.number().int().nullable(),
    accountManagerId: z.uuid().nullable(),
    notifyContactId: z.uuid().nullable(),
    quoteId: z.uuid().nullable().meta({ description: 'the accepted quote this contract came from' }),
    notes: z.string(),
    hourBank: hourBankTermsSchema.nullable(),
    subscription: subscriptionTermsSchema.nullable(),
    remainingMinutes: z.number().int().nullable().meta({ description: 'hour bank: the balance (negative within the overdraft limit)' }),
    capacityMinutes: z.number().int().nullable().meta({ description: 'hour bank: minutes of the live blocks as bought (the 100 % of percent thresholds)' }),
    thresholdsCrossed: z.array(z.string()).meta({ description: 'keys `percent:20`, `minutes:120` of thresholds crossed and not re-armed' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Contract' });
export type Contract = z.infer<typeof contractSchema>;

export const contractListQuerySchema = listQuerySchema.extend({
  clientId: z.uuid().optional(),
  type: z.enum(CONTRACT_TYPES).optional(),
  status: z.enum(CONTRACT_STATUSES).optional(),
});
export type ContractListQuery = z.infer<typeof contractListQuerySchema>;

export const buyBlockBodySchema = z
  .strictObject({
    minutes: minutes(1).meta({ description: 'size of the pack, e.g. 600 for 10 h' }),
    priceCents: cents.meta({ description: 'sale price; the billing run turns it into an invoice line' }),
    expiresAt: z.iso.datetime().nullable().optional().meta({ description: 'the unused remainder expires then' }),
  })
  .meta({ id: 'BuyBlockBody' });
export type BuyBlockBody = z.infer<typeof buyBlockBodySchema>;

export const hourBlockSchema = z
  .object({
    id: z.uuid(),
    contractId: z.uuid(),
    source: z.enum(['sale', 'adjustment']),
    minutes: z.number().int(),
    remainingMinutes: z.number().int(),
    priceCents: z.number().int(),
    purchasedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    createdBy: z.uuid().nullable(),
  })
  .meta({ id: 'HourBlock' });
export type HourBlockView = z.infer<typeof hourBlockSchema>;

export const adjustmentBodySchema = z
  .strictObject({
    minutes: z.number().int().min(-MAX_MINUTES).max(MAX_MINUTES).refine((n) => n !== 0, 'must not be zero').meta({ description: 'signed: + credits, − debits' }),
    reason: z.string().trim().min(3).max(500),
  })
  .meta({ id: 'AdjustmentBody' });
export type AdjustmentBody = z.infer<typeof adjustmentBodySchema>;

export const ledgerEntrySchema = z
  .object({
    id: z.uuid(),
    contractId: z.uuid(),
    seq: z.number().int(),
    kind: z.enum(LEDGER_KINDS),
    minutes: z.number().int().meta({ description: 'signed: + adds to the balance' }),
    balanceAfter: z.number().int(),
    timeEntryId: z.uuid().nullable(),
    blockId: z.uuid().nullable(),
    reason: z.string().nullable(),
    createdBy: z.uuid().nullable(),
    createdByName: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'LedgerEntry' });
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export const ledgerQuerySchema = listQuerySchema.extend({ kind: z.enum(LEDGER_KINDS).optional() });
export type LedgerQuery = z.infer<typeof ledgerQuerySchema>;

export const burndownQuerySchema = z.strictObject({ days: z.coerce.number().int().min(7).max(730).default(90) });

/** One point per day with movements: the balance at the end of that day and what moved. */
export const burndownSchema = z
  .object({
    from: dateOnly,
    to: dateOnly,
    startBalanceMinutes: z.number().int(),
    days: z.array(z.object({ date: dateOnly, balanceMinutes: z.number().int(), addedMinutes: z.number().int(), usedMinutes: z.number().int() })),
  })
  .meta({ id: 'Burndown' });
export type Burndown = z.infer<typeof burndownSchema>;

/** What applying one approved time entry did (the entry is marked with it). */
export const consumptionResultSchema = z
  .object({
    timeEntryId: z.uuid(),
    chargedMinutes: z.number().int().meta({ description: 'after rounding and minimum' }),
    blockMinutes: z.number().int(),
    overdraftMinutes: z.number().int(),
    outOfContractMinutes: z.number().int().meta({ description: 'billable outside the contract' }),
    balanceAfter: z.number().int(),
    reversed: z.boolean(),
  })
  .meta({ id: 'ConsumptionResult' });
export type ConsumptionResult = z.infer<typeof consumptionResultSchema>;
