import { z } from 'zod';
import { listQuerySchema } from './common';

export const QUOTE_STATUSES = ['draft', 'sent', 'accepted', 'declined'] as const;
export type QuoteStatus = (typeof QUOTE_STATUSES)[number];

const decimals = (max: number) => (n: number) => Math.abs(Math.round(n * 10 ** max) - n * 10 ** max) < 1e-6;

/** A line as people type it: quantity 1.5, VAT rate 20 or 5.5 (percent). Stored as integers. */
export const quoteLineInputSchema = z.strictObject({
  description: z.string().trim().min(1).max(500),
  quantity: z.number().positive().max(1e6).refine(decimals(3), 'at most 3 decimals'),
  unitPriceCents: z.number().int().min(0).max(1e10),
  vatRate: z.number().min(0).max(100).refine(decimals(2), 'at most 2 decimals'),
});
export type QuoteLineInput = z.infer<typeof quoteLineInputSchema>;

export const createQuoteBodySchema = z
  .strictObject({
    lines: z.array(quoteLineInputSchema).min(1).max(200),
    validUntil: z.iso.date().optional().meta({ description: 'defaults to 30 days after issue' }),
    notes: z.string().max(5000).optional(),
    vatRounding: z.enum(['per_rate', 'per_line']).default('per_rate'),
  })
  .meta({ id: 'CreateQuoteBody' });
export type CreateQuoteBody = z.infer<typeof createQuoteBodySchema>;

export const updateQuoteBodySchema = z
  .strictObject({
    lines: z.array(quoteLineInputSchema).min(1).max(200).optional(),
    validUntil: z.iso.date().optional(),
    notes: z.string().max(5000).optional(),
    vatRounding: z.enum(['per_rate', 'per_line']).optional(),
  })
  .meta({ id: 'UpdateQuoteBody' });
export type UpdateQuoteBody = z.infer<typeof updateQuoteBodySchema>;

export const quoteSchema = z
  .object({
    id: z.uuid(),
    number: z.string(),
    opportunityId: z.uuid(),
    clientId: z.uuid(),
    clientName: z.string(),
    status: z.enum(QUOTE_STATUSES),
    issueDate: z.iso.date(),
    validUntil: z.iso.date(),
    currency: z.string(),
    vatRounding: z.enum(['per_rate', 'per_line']),
    notes: z.string(),
    lines: z.array(
      z.object({
        description: z.string(),
        quantity: z.number(),
        unitPriceCents: z.number().int(),
        vatRate: z.number(),
        totalExclTaxCents: z.number().int(),
      }),
    ),
    vat: z.array(z.object({ vatRate: z.number(), baseCents: z.number().int(), taxCents: z.number().int() })),
    totalExclTaxCents: z.number().int(),
    totalTaxCents: z.number().int(),
    totalCents: z.number().int(),
    documentId: z.uuid().nullable().meta({ description: 'the rendered PDF, stored as a client document' }),
    acceptedAt: z.iso.datetime().nullable(),
    contractId: z.uuid().nullable().meta({ description: 'the contract drafted when this quote was accepted' }),
    renewsContractId: z.uuid().nullable().meta({ description: 'a renewal proposal: accepting it sells the pack on this contract' }),
    renewalPackMinutes: z.number().int().nullable().meta({ description: 'a renewal proposal: the pack size, times the first line’s quantity' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Quote' });
export type Quote = z.infer<typeof quoteSchema>;

export const quoteListQuerySchema = listQuerySchema.extend({
  opportunityId: z.uuid().optional(),
  clientId: z.uuid().optional(),
  status: z.enum(QUOTE_STATUSES).optional(),
});
export type QuoteListQuery = z.infer<typeof quoteListQuerySchema>;

export const acceptQuoteBodySchema = z
  .strictObject({
    contract: z
      .strictObject({
        type: z.enum(['hour_bank', 'subscription', 'time_material']),
        name: z.string().trim().min(1).max(200).optional().meta({ description: 'defaults to "Contrat <quote number>"' }),
      })
      .optional()
      .meta({ description: 'also draft the matching contract for the client (not for a renewal, which sells its pack instead)' }),
  })
  .meta({ id: 'AcceptQuoteBody' });
export type AcceptQuoteBody = z.infer<typeof acceptQuoteBodySchema>;
