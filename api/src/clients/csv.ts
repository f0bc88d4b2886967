import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import {
  AppError,
  createClientBodySchema,
  createContactBodySchema,
  type Client,
  type CreateClientBody,
  type CreateContactBody,
  type FieldError,
} from '@vigie/core';
import { clientsRepo, type TenantTx } from '@vigie/db';
import { zodFieldErrors } from '../http/problem';

/** Columns of the client CSV (import and export). French headers as Excel users type them are accepted. */
export const CSV_COLUMNS = [
  'name',
  'siren',
  'siret',
  'vatNumber',
  'status',
  'paymentTermsDays',
  'paymentTermsEndOfMonth',
  'currency',
  'tags',
  'notes',
  'billingLine1',
  'billingLine2',
  'billingPostalCode',
  'billingCity',
  'billingCountry',
  'contactName',
  'contactEmail',
  'contactPhone',
  'contactRole',
] as const;
type Column = (typeof CSV_COLUMNS)[number];

const ALIASES: Record<string, Column> = {
  'raison sociale': 'name',
  nom: 'name',
  'numéro de tva': 'vatNumber',
  tva: 'vatNumber',
  statut: 'status',
  'délai de paiement': 'paymentTermsDays',
  'fin de mois': 'paymentTermsEndOfMonth',
  devise: 'currency',
  étiquettes: 'tags',
  adresse: 'billingLine1',
  'complément d’adresse': 'billingLine2',
  'code postal': 'billingPostalCode',
  ville: 'billingCity',
  pays: 'billingCountry',
  contact: 'contactName',
  'e-mail': 'contactEmail',
  email: 'contactEmail',
  téléphone: 'contactPhone',
  fonction: 'contactRole',
};

function columnOf(header: string): Column | undefined {
  const h = header.trim();
  const exact = CSV_COLUMNS.find((c) => c.toLowerCase() === h.toLowerCase());
  return exact ?? ALIASES[h.toLowerCase().replace(/'/g, '’')] ?? ALIASES[h.toLowerCase()];
}

export interface ImportRowError {
  row: number;
  field: string;
  message: string;
}

export interface ImportReport {
  dryRun: boolean;
  rows: number;
  valid: number;
  clientsCreated: number;
  contactsCreated: number;
  errors: ImportRowError[];
}

interface ParsedRow {
  row: number;
  client: CreateClientBody;
  contact: CreateContactBody | null;
}

const TRUE = new Set(['true', 'oui', 'yes', '1', 'x']);

function toClientInput(r: Partial<Record<Column, string>>) {
  const opt = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const address = [r.billingLine1, r.billingLine2, r.billingPostalCode, r.billingCity, r.billingCountry].some((v) => opt(v));
  return {
    name: r.name ?? '',
    siren: opt(r.siren),
    siret: opt(r.siret),
    vatNumber: opt(r.vatNumber),
    status: opt(r.status),
    paymentTermsDays: opt(r.paymentTermsDays) !== undefined ? Number(r.paymentTermsDays) : undefined,
    paymentTermsEndOfMonth: opt(r.paymentTermsEndOfMonth) !== undefined ? TRUE.has(r.paymentTermsEndOfMonth!.trim().toLowerCase()) : undefined,
    currency: opt(r.currency)?.toUpperCase(),
    tags: opt(r.tags)
      ?.split('|')
      .map((t) => t.trim())
      .filter(Boolean),
    notes: opt(r.notes),
    billingAddress: address
      ? {
          line1: opt(r.billingLine1) ?? '',
          line2: opt(r.billingLine2) ?? '',
          postalCode: opt(r.billingPostalCode) ?? '',
          city: opt(r.billingCity) ?? '',
          country: opt(r.billingCountry) ?? 'FR',
        }
      : undefined,
  };
}

/** Parses and validates every row; nothing is written here. */
export function parseClientCsv(text: string): { rows: ParsedRow[]; errors: ImportRowError[]; total: number } {
  let records: string[][];
  try {
    records = parse(text, { bom: true, delimiter: [';', ',', '\t'], relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw AppError.invalid(`the file is not valid CSV: ${(err as Error).message}`);
  }
  const [header, ...data] = records;
  if (!header) throw AppError.invalid('the file is empty');
  const columns = header.map(columnOf);
  const unknown = header.filter((_, i) => !columns[i]);
  if (unknown.length) throw AppError.invalid(`unknown columns: ${unknown.join(', ')}`, unknown.map((u) => ({ path: 'header', message: `unknown column "${u}"` })));
  if (!columns.includes('name')) throw AppError.invalid('a "name" (raison sociale) column is required');
  if (data.length > 5000) throw AppError.invalid('at most 5 000 rows per import');

  const rows: ParsedRow[] = [];
  const errors: ImportRowError[] = [];
  data.forEach((cells, index) => {
    const row = index + 2; // spreadsheet numbering: header is row 1
    const values: Partial<Record<Column, string>> = {};
    columns.forEach((c, i) => {
      if (c) values[c] = cells[i] ?? '';
    });
    const client = createClientBodySchema.safeParse(toClientInput(values));
    const contactName = values.contactName?.trim();
    const contact = contactName
      ? createContactBodySchema.safeParse({
          name: contactName,
          email: values.contactEmail?.trim() || undefined,
          phone: values.contactPhone?.trim() || undefined,
          role: values.contactRole?.trim() || undefined,
          isPrimary: true,
        })
      : undefined;
    const rowErrors: FieldError[] = [
      ...(client.success ? [] : zodFieldErrors(client.error)),
      ...(contact && !contact.success ? zodFieldErrors(contact.error, 'contact') : []),
    ];
    if (rowErrors.length) errors.push(...rowErrors.map((e) => ({ row, field: e.path, message: e.message })));
    else rows.push({ row, client: client.data!, contact: contact?.data ?? null });
  });
  return { rows, errors, total: data.length };
}

/** Duplicates within the file and against the tenant's clients (SIREN/SIRET). */
async function duplicateErrors(tx: TenantTx, rows: ParsedRow[]): Promise<ImportRowError[]> {
  const errors: ImportRowError[] = [];
  const seen = new Map<string, number>();
  for (const { row, client } of rows) {
    const siren = client.siren ?? client.siret?.slice(0, 9) ?? undefined;
    for (const [field, value] of [['siren', siren], ['siret', client.siret]] as const) {
      if (!value) continue;
      const first = seen.get(`${field}:${value}`);
      if (first) errors.push({ row, field, message: `same ${field.toUpperCase()} as row ${first}` });
      else seen.set(`${field}:${value}`, row);
    }
    const existing = await clientsRepo.findClientByIdentifiers(tx, { siren, siret: client.siret });
    if (existing) errors.push({ row, field: client.siret && existing.siret === client.siret ? 'siret' : 'siren', message: `client "${existing.name}" already exists` });
  }
  return errors;
}

/**
 * All or nothing: the dry run reports every problem; the real run writes only when there is none,
 * in the caller's single transaction.
 */
export async function importClients(
  tx: TenantTx,
  tenantId: string,
  text: string,
  dryRun: boolean,
): Promise<ImportReport> {
  const { rows, errors, total } = parseClientCsv(text);
  errors.push(...(await duplicateErrors(tx, rows)));
  errors.sort((a, b) => a.row - b.row || a.field.localeCompare(b.field));
  const report: ImportReport = { dryRun, rows: total, valid: total - new Set(errors.map((e) => e.row)).size, clientsCreated: 0, contactsCreated: 0, errors };
  if (dryRun || errors.length) return report;
  for (const { client, contact } of rows) {
    const id = randomUUID();
    await clientsRepo.insertClient(tx, tenantId, id, client);
    report.clientsCreated++;
    if (contact) {
      await clientsRepo.insertContact(tx, tenantId, id, randomUUID(), contact);
      report.contactsCreated++;
    }
  }
  return report;
}

export const importQuerySchema = z.strictObject({ dryRun: z.enum(['true', 'false']).default('true').transform((v) => v === 'true') });

/** CSV export with the same columns as the import (round trip), UTF-8 with BOM for Excel, ';' separated. */
export function clientsToCsv(clients: Client[]): string {
  const rows = clients.map((c) => [
    c.name,
    c.siren ?? '',
    c.siret ?? '',
    c.vatNumber ?? '',
    c.status,
    String(c.paymentTermsDays),
    c.paymentTermsEndOfMonth ? 'true' : 'false',
    c.currency,
    c.tags.join('|'),
    c.notes,
    c.billingAddress.line1,
    c.billingAddress.line2,
    c.billingAddress.postalCode,
    c.billingAddress.city,
    c.billingAddress.country,
    '',
    '',
    '',
    '',
  ]);
  return '\ufeff' + stringify([CSV_COLUMNS as unknown as string[], ...rows], { delimiter: ';' });
}
