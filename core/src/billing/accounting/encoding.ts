/**
 * Single-byte encodings for the files accounting tools read. The exports return strings; a caller that
 * must write ISO-8859-15 (FEC, which the administration accepts in that or UTF-8) or Windows-1252 (what
 * Sage 100 reads as "ANSI") turns the string into bytes here, with no Node `Buffer` and no `TextEncoder`
 * (which only does UTF-8).
 *
 * Characters the charset lacks: the usual typographic ones are transliterated (’ → ', “ ” → ", – → -,
 * … → ..., narrow and other Unicode spaces → space); any other one is an `invalid_input` error naming it
 * (write the file as UTF-8 instead), or `?` with `{ unmappable: 'replace' }`.
 */
import { AppError } from '../../errors';

export type SingleByteCharset = 'iso-8859-15' | 'windows-1252';

/** Where ISO-8859-15 differs from Latin-1 (byte → character). */
const LATIN9: Record<number, number> = { 0xa4: 0x20ac, 0xa6: 0x160, 0xa8: 0x161, 0xb4: 0x17d, 0xb8: 0x17e, 0xbc: 0x152, 0xbd: 0x153, 0xbe: 0x178 };

/** Windows-1252 bytes 0x80–0x9F (0 = undefined in the charset). */
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0, 0x17d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0, 0x17e, 0x178,
];

function tableOf(charset: SingleByteCharset): Map<number, number> {
  const map = new Map<number, number>();
  for (let b = 0; b < 0x80; b++) map.set(b, b);
  for (let b = 0xa0; b <= 0xff; b++) map.set(charset === 'iso-8859-15' ? (LATIN9[b] ?? b) : b, b);
  if (charset === 'windows-1252') CP1252_HIGH.forEach((cp, i) => cp && map.set(cp, 0x80 + i));
  return map;
}

const TABLES: Record<SingleByteCharset, Map<number, number>> = { 'iso-8859-15': tableOf('iso-8859-15'), 'windows-1252': tableOf('windows-1252') };

const FALLBACKS: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201a': "'", '\u201b': "'", '\u2032': "'",
  '\u201c': '"', '\u201d': '"', '\u201e': '"', '\u2033': '"',
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2212': '-',
  '\u2026': '...', '\u2022': '-',
};

export function encodeSingleByte(text: string, charset: SingleByteCharset, options: { unmappable?: 'throw' | 'replace' } = {}): Uint8Array {
  const table = TABLES[charset];
  const bytes: number[] = [];
  const missing = new Set<string>();
  const put = (ch: string): boolean => {
    const b = table.get(ch.codePointAt(0)!);
    if (b === undefined) return false;
    bytes.push(b);
    return true;
  };
  for (const ch of text) {
    if (put(ch)) continue;
    const fallback = /^\s$/u.test(ch) ? ' ' : FALLBACKS[ch];
    if (fallback !== undefined && [...fallback].every((c) => table.has(c.codePointAt(0)!))) {
      for (const c of fallback) put(c);
      continue;
    }
    if (options.unmappable === 'replace') bytes.push(0x3f);
    else missing.add(ch);
  }
  if (missing.size > 0) {
    const list = [...missing].map((c) => `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`).join(', ');
    throw AppError.invalid(`${charset.toUpperCase()} cannot encode ${list}: write the file as UTF-8`);
  }
  return Uint8Array.from(bytes);
}
