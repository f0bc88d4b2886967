import type { Request } from 'express';
import {
  AppError,
  buildJournal,
  encodeSingleByte,
  endOfMonth,
  fecExportQuerySchema,
  fecFileName,
  fecText,
  localDateIn,
  profitabilityQuerySchema,
  profitabilitySchema,
  quickBooksExportQuerySchema,
  quickBooksJournalCsv,
  sageExportQuerySchema,
  sageText,
  xeroExportQuerySchema,
  xeroManualJournalCsv,
  xeroSalesInvoicesCsv,
  type JournalSource,
  type SingleByteCharset,
} from '@vigie/core';
import { accountingRepo, tenantsRepo, type TenantTx } from '@vigie/db';
import { BinaryResponse, route, type AnyRoute } from '../http/route';

/**
 * Accounting exports of a date range (issued invoices and credit notes by issue date, payments by payment
 * date) in the layouts of the French tax administration (FEC), Sage, QuickBooks and Xero, with the
 * default French chart of accounts; and profitability per client or contract. Finance only.
 */
const FINANCE = ['admin', 'manager'] as const;

/** `attachment; filename="…"`, with the RFC 5987 form for names beyond ASCII. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function file(req: Request, filename: string, mediaType: string, text: string, charset: 'utf-8' | SingleByteCharset = 'utf-8'): BinaryResponse {
  // Encode before touching the headers: a character the charset lacks is a 400 problem, not a half-sent file.
  const bytes = charset === 'utf-8' ? Buffer.from(text, 'utf8') : Buffer.from(encodeSingleByte(text, charset));
  req.res!.setHeader('Content-Disposition', attachment(filename));
  req.res!.setHeader('X-Content-Type-Options', 'nosniff');
  return new BinaryResponse(`${mediaType}; charset=${charset}`, bytes, 'private, no-store');
}

const csvName = (format: string, range: { from: string; to: string }) => `vigie-${format}-${range.from}-${range.to}.csv`;

const sourceOf = (tx: TenantTx, range: { from: string; to: string }): Promise<JournalSource> => accountingRepo.journalSource(tx, range);

export const exportRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/billing/exports/fec',
    tag: 'billing',
    summary: 'FEC (fichier des écritures comptables) of a date range: sales and bank journals, tab-separated, named <SIREN>FEC<to>.txt',
    auth: FINANCE,
    query: fecExportQuerySchema,
    produces: 'text/plain',
    handler: ({ tx, query, actor, req }) =>
      tx(async (t) => {
        const siren = (await tenantsRepo.getTenantSettings(t, actor.tenantId))?.legal.siren ?? '';
        if (!siren) throw AppError.conflict('the company has no SIREN: set it in the legal identity settings before exporting the FEC (the file is named after it)');
        const text = fecText(buildJournal(await sourceOf(t, query)));
        return file(req, fecFileName(siren, query.to), 'text/plain', text, query.encoding);
      }),
  }),
  route({
    method: 'get',
    path: '/billing/exports/sage',
    tag: 'billing',
    summary: 'Journal lines of a date range for Sage 100 “import paramétrable” (; separated, Windows-1252 by default)',
    auth: FINANCE,
    query: sageExportQuerySchema,
    produces: 'text/csv',
    handler: ({ tx, query, req }) =>
      tx(async (t) => file(req, csvName('sage', query), 'text/csv', sageText(buildJournal(await sourceOf(t, query)), { header: query.header }), query.encoding)),
  }),
  route({
    method: 'get',
    path: '/billing/exports/quickbooks',
    tag: 'billing',
    summary: 'Journal lines of a date range as a QuickBooks Online journal entry import (CSV)',
    auth: FINANCE,
    query: quickBooksExportQuerySchema,
    produces: 'text/csv',
    handler: ({ tx, query, req }) =>
      tx(async (t) =>
        file(req, csvName('quickbooks', query), 'text/csv', quickBooksJournalCsv(buildJournal(await sourceOf(t, query)), { dateLayout: query.dateLayout, account: query.account })),
      ),
  }),
  route({
    method: 'get',
    path: '/billing/exports/xero-journal',
    tag: 'billing',
    summary: 'Journal lines of a date range as a Xero manual journal import (CSV)',
    auth: FINANCE,
    query: xeroExportQuerySchema,
    produces: 'text/csv',
    handler: ({ tx, query, req }) =>
      tx(async (t) => file(req, csvName('xero-journal', query), 'text/csv', xeroManualJournalCsv(buildJournal(await sourceOf(t, query)), { dateLayout: query.dateLayout }))),
  }),
  route({
    method: 'get',
    path: '/billing/exports/xero-invoices',
    tag: 'billing',
    summary: 'Invoices and credit notes issued in a date range as a Xero sales invoice import (CSV, one row per line)',
    auth: FINANCE,
    query: xeroExportQuerySchema,
    produces: 'text/csv',
    handler: ({ tx, query, req }) =>
      tx(async (t) => {
        const { documents } = await sourceOf(t, query);
        return file(req, csvName('xero-invoices', query), 'text/csv', xeroSalesInvoicesCsv(documents.map((d) => d.document), { dateLayout: query.dateLayout }));
      }),
  }),
  route({
    method: 'get',
    path: '/billing/profitability',
    tag: 'billing',
    summary: 'Revenue, internal cost of approved time and margin per client or contract over a date range (default: this month)',
    auth: FINANCE,
    query: profitabilityQuerySchema,
    response: profitabilitySchema,
    handler: ({ tx, query, actor }) =>
      tx(async (t) => {
        const settings = await tenantsRepo.getTenantSettings(t, actor.tenantId);
        const today = localDateIn(Date.now(), settings?.timezone ?? 'Europe/Paris');
        const from = query.from ?? `${today.slice(0, 8)}01`;
        const to = query.to ?? endOfMonth(today);
        const currency = settings?.currency ?? 'EUR';
        const report = await accountingRepo.profitability(t, { from, to }, query.groupBy, currency);
        return { from, to, groupBy: query.groupBy, currency, ...report };
      }),
  }),
];
