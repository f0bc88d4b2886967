/**
 * A Carbone template rendered straight to PDF/A-3b by LibreOffice, the base a Factur-X PDF needs.
 *
 * Carbone 3.8 documents `convertTo: { formatName: 'pdf', formatOptions: {...} }`, but its community
 * edition drops those PDF options (lib/input.js keeps them as `filters`, lib/index.js never passes them
 * to LibreOffice). What does reach LibreOffice is the converter's FilterOptions string, and LibreOffice
 * (7.4 and later) reads PDF export options from it in JSON form. So the template is filled by Carbone
 * without conversion, then converted by Carbone's own converter (the same warm LibreOffice) with the
 * PDF/A-3 options.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { carbone, stopCarbone } from '../../documents/carbone';

/** The converter arguments that make LibreOffice write PDF/A-3b: `convertFile(input, format, filterOptions, output, cb)`. */
export function pdfA3ConvertOptions(): { format: 'writer_pdf_Export'; filterOptions: string } {
  return { format: 'writer_pdf_Export', filterOptions: JSON.stringify({ SelectPdfVersion: { type: 'long', value: '3' } }) };
}

/** Fills `template` (an ODT or flat ODT) with `data` and converts it to PDF/A-3b. */
export async function renderPdfA3(template: string, data: object): Promise<Buffer> {
  const { render, convert } = carbone();
  const filled = await render(template, data, {}); // no convertTo: the template's own format
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigie-pdfa-'));
  try {
    const input = path.join(dir, `${randomUUID()}${path.extname(template)}`);
    const output = path.join(dir, `${randomUUID()}.pdf`);
    await fs.writeFile(input, filled);
    const { format, filterOptions } = pdfA3ConvertOptions();
    await convert(input, format, filterOptions, output);
    return await fs.readFile(output);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Stops the LibreOffice processes Carbone keeps warm (shared by every document of this process): for tests and shutdown. */
export const stopPdfRenderer = stopCarbone;
