import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Quote, TenantSettings } from '@vigie/core';
import type { Client as CrmClient } from '@vigie/core';

/** The template ships with the package: activities/templates/quote.fodt (a flat ODT that Carbone fills). */
export const QUOTE_TEMPLATE = path.resolve(__dirname, '..', '..', 'templates', 'quote.fodt');

/** The colour the template is drawn with; replaced by the tenant's primary colour. */
const TEMPLATE_COLOR = '#1d4ed8';

const templates = new Map<string, string>();

/**
 * The quote template drawn in the tenant's colour (validated as #rrggbb by the settings schema), written
 * once per colour next to the other temporary files.
 */
export function quoteTemplateFor(color: string): string {
  const safe = /^#[0-9a-fA-F]{6}$/.test(color) ? color.toLowerCase() : TEMPLATE_COLOR;
  const cached = templates.get(safe);
  if (cached && fs.existsSync(cached)) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-templates-'));
  const file = path.join(dir, `quote-${safe.slice(1)}.fodt`);
  fs.writeFileSync(file, fs.readFileSync(QUOTE_TEMPLATE, 'utf8').replaceAll(TEMPLATE_COLOR, safe));
  templates.set(safe, file);
  return file;
}

type Render = (template: string, data: object, options: { convertTo: string; lang?: string }) => Promise<Buffer>;
let renderer: Render | undefined;

/**
 * Carbone finds LibreOffice through PATH when it is first loaded, and LibreOffice must run Debian's
 * python3 (the one with uno): both directories go first. Loaded once, its LibreOffice stays warm.
 */
function carbone(): Render {
  if (!renderer) {
    process.env.PATH = `/usr/lib/libreoffice/program:/usr/bin:${process.env.PATH ?? ''}`;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require('carbone') as { render: (t: string, d: object, o: object, cb: (err: unknown, result: Buffer) => void) => void };
    renderer = promisify(lib.render) as unknown as Render;
  }
  return renderer;
}

function money(cents: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);
}

function addressLine(a: { line1: string; line2: string; postalCode: string; city: string; country: string }): string {
  return [a.line1, a.line2, `${a.postalCode} ${a.city}`.trim(), a.country === 'FR' ? '' : a.country].filter(Boolean).join(', ');
}

/** What the template sees: every amount already formatted for the tenant's locale. */
export function quoteTemplateData(quote: Quote, settings: TenantSettings, client: CrmClient) {
  const locale = settings.locale === 'en' ? 'en-GB' : 'fr-FR';
  const m = (cents: number) => money(cents, quote.currency, locale);
  const pct = (rate: number) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(rate)} %`;
  const date = (iso: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
  return {
    number: quote.number,
    issueDate: date(quote.issueDate),
    validUntil: date(quote.validUntil),
    tenant: {
      legalName: settings.legal.legalName || settings.name,
      legalForm: settings.legal.legalForm,
      siret: settings.legal.siret || '—',
      vatNumber: settings.legal.vatNumber || '—',
      shareCapital: settings.legal.shareCapital || '—',
      rcs: settings.legal.rcs,
      addressLine: addressLine(settings.legal.address),
    },
    client: {
      name: client.name,
      addressLine: addressLine(client.billingAddress),
      siren: client.siren ?? '—',
      vatNumber: client.vatNumber ?? '—',
    },
    lines: quote.lines.map((l) => ({
      description: l.description,
      quantity: new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }).format(l.quantity),
      unitPrice: m(l.unitPriceCents),
      vatRate: pct(l.vatRate),
      total: m(l.totalExclTaxCents),
    })),
    vat: quote.vat.map((v) => ({ rate: pct(v.vatRate), base: m(v.baseCents), tax: m(v.taxCents) })),
    totalExclTax: m(quote.totalExclTaxCents),
    total: m(quote.totalCents),
    notes: quote.notes,
  };
}

export async function renderQuotePdfBytes(data: object, brandColor = TEMPLATE_COLOR): Promise<Buffer> {
  return carbone()(quoteTemplateFor(brandColor), data, { convertTo: 'pdf' });
}

export function documentIdentity(bytes: Buffer): { id: string; sha256: string } {
  return { id: randomUUID(), sha256: createHash('sha256').update(bytes).digest('hex') };
}
