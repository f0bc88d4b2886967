import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { imageSize } from 'image-size';
import type { Quote, TenantSettings } from '@vigie/core';
import type { Client as CrmClient } from '@vigie/core';
import { carbone } from '../documents/carbone';

/** The template ships with the package: activities/templates/quote.fodt (a flat ODT that Carbone fills). */
export const QUOTE_TEMPLATE = path.resolve(__dirname, '..', '..', 'templates', 'quote.fodt');

/** The colour the template is drawn with; replaced by the tenant's primary colour. */
export const TEMPLATE_COLOR = '#1d4ed8';

/** Where the template takes the logo frame: a comment in its first paragraph. */
export const LOGO_MARKER = '<!--logo-->';

/** The box the logo is fitted into, keeping its aspect ratio (centimetres). */
const LOGO_BOX = { width: 4.5, height: 2 };

/** The formats the logo upload accepts (api/src/tenants), as image-size names them; LibreOffice reads all three. */
const LOGO_FORMATS = new Set(['png', 'jpg', 'webp']);

/** Templates written so far, least recently used first; a few dozen is plenty (one per colour and logo). */
const MAX_TEMPLATES = 32;
const templates = new Map<string, string>();
let templateDir: string | undefined;

/**
 * The logo as a flat-ODT frame (the image embedded as base64, the only thing put into the XML), fitted into
 * LOGO_BOX. Nothing when the bytes are not a PNG, JPEG or WebP whose size can be read: the quote is still
 * worth rendering without its logo.
 */
export function logoFrame(logo: Buffer): string {
  let size: { width: number; height: number; type?: string };
  try {
    size = imageSize(logo);
  } catch {
    return '';
  }
  if (!LOGO_FORMATS.has(size.type ?? '') || !(size.width > 0) || !(size.height > 0)) return '';
  // The stored pixels, not the EXIF orientation: LibreOffice draws embedded images unrotated.
  const scale = Math.min(LOGO_BOX.width / size.width, LOGO_BOX.height / size.height);
  const cm = (n: number) => `${(n * scale).toFixed(3)}cm`;
  return (
    `<draw:frame draw:style-name="Logo" draw:name="Logo" text:anchor-type="paragraph" svg:width="${cm(size.width)}" svg:height="${cm(size.height)}" draw:z-index="0">` +
    `<draw:image><office:binary-data>${logo.toString('base64')}</office:binary-data></draw:image></draw:frame>`
  );
}

/**
 * The quote template drawn in the tenant's colour (validated as #rrggbb by the settings schema) and carrying
 * its logo, if any. Written once per colour and logo (by content hash, so a new logo gives a new template)
 * in one temporary directory.
 */
export function quoteTemplateFor(color: string, logo?: Buffer): string {
  const safe = /^#[0-9a-fA-F]{6}$/.test(color) ? color.toLowerCase() : TEMPLATE_COLOR;
  const logoHash = logo ? createHash('sha256').update(logo).digest('hex') : 'none';
  const key = `${safe.slice(1)}-${logoHash.slice(0, 16)}`;
  const cached = templates.get(key);
  if (cached && fs.existsSync(cached)) {
    templates.delete(key);
    templates.set(key, cached);
    return cached;
  }
  if (!templateDir || !fs.existsSync(templateDir)) templateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-templates-'));
  const file = path.join(templateDir, `quote-${key}.fodt`);
  const xml = fs.readFileSync(QUOTE_TEMPLATE, 'utf8').replaceAll(TEMPLATE_COLOR, safe).replace(LOGO_MARKER, logo ? logoFrame(logo) : '');
  fs.writeFileSync(file, xml);
  templates.delete(key);
  templates.set(key, file);
  for (const [oldKey, oldFile] of templates) {
    if (templates.size <= MAX_TEMPLATES) break;
    templates.delete(oldKey);
    fs.rmSync(oldFile, { force: true });
  }
  return file;
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

/** The tenant's look on the quote: its primary colour and its logo bytes (none when it has no logo). */
export interface QuoteBranding {
  color: string;
  logo?: Buffer | undefined;
}

export async function renderQuotePdfBytes(data: object, branding: QuoteBranding = { color: TEMPLATE_COLOR }): Promise<Buffer> {
  return carbone().render(quoteTemplateFor(branding.color, branding.logo), data, { convertTo: 'pdf' });
}

export function documentIdentity(bytes: Buffer): { id: string; sha256: string } {
  return { id: randomUUID(), sha256: createHash('sha256').update(bytes).digest('hex') };
}
