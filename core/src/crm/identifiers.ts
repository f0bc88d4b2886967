/**
 * French company identifiers and EU VAT numbers.
 * SIREN (9 digits) and SIRET (14 digits) carry a Luhn check digit; La Poste's establishments (SIREN
 * 356 000 000) are numbered past what Luhn allows, so they are valid when the sum of their digits is a
 * multiple of 5 — except the head office, 356 000 000 00048, which follows Luhn like everyone else.
 */

const LA_POSTE_SIREN = '356000000';
const LA_POSTE_HEAD_OFFICE = '35600000000048';

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Spaces, dots and dashes as people type them ("732 829 320") are ignored. */
export function normalizeIdentifier(value: string): string {
  return value.replace(/[\s.-]/g, '').toUpperCase();
}

export function isValidSiren(value: string): boolean {
  const siren = normalizeIdentifier(value);
  return /^\d{9}$/.test(siren) && luhnValid(siren);
}

export function isValidSiret(value: string): boolean {
  const siret = normalizeIdentifier(value);
  if (!/^\d{14}$/.test(siret)) return false;
  if (siret.startsWith(LA_POSTE_SIREN) && siret !== LA_POSTE_HEAD_OFFICE) {
    const sum = [...siret].reduce((acc, d) => acc + Number(d), 0);
    return sum % 5 === 0;
  }
  return luhnValid(siret);
}

/** The two-digit key of a French VAT number: (12 + 3 × (SIREN mod 97)) mod 97. */
export function frenchVatKey(siren: string): string {
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return String(key).padStart(2, '0');
}

export function frenchVatNumber(siren: string): string {
  return `FR${frenchVatKey(siren)}${siren}`;
}

/** Shapes of intra-EU VAT numbers (VIES); only France's key is computed, the rest is checked by pattern. */
const EU_VAT_PATTERNS: Record<string, RegExp> = {
  AT: /^ATU\d{8}$/,
  BE: /^BE[01]\d{9}$/,
  BG: /^BG\d{9,10}$/,
  CY: /^CY\d{8}[A-Z]$/,
  CZ: /^CZ\d{8,10}$/,
  DE: /^DE\d{9}$/,
  DK: /^DK\d{8}$/,
  EE: /^EE\d{9}$/,
  EL: /^EL\d{9}$/,
  ES: /^ES[A-Z0-9]\d{7}[A-Z0-9]$/,
  FI: /^FI\d{8}$/,
  HR: /^HR\d{11}$/,
  HU: /^HU\d{8}$/,
  IE: /^IE(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^IT\d{11}$/,
  LT: /^LT(\d{9}|\d{12})$/,
  LU: /^LU\d{8}$/,
  LV: /^LV\d{11}$/,
  MT: /^MT\d{8}$/,
  NL: /^NL\d{9}B\d{2}$/,
  PL: /^PL\d{10}$/,
  PT: /^PT\d{9}$/,
  RO: /^RO\d{2,10}$/,
  SE: /^SE\d{12}$/,
  SI: /^SI\d{8}$/,
  SK: /^SK\d{10}$/,
  XI: /^XI(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
};

export type VatCheck = { valid: true; normalized: string } | { valid: false; reason: string };

export function checkVatNumber(value: string): VatCheck {
  const vat = normalizeIdentifier(value);
  const country = vat.slice(0, 2);
  if (country === 'FR') {
    const match = /^FR([0-9A-Z]{2})(\d{9})$/.exec(vat);
    if (!match) return { valid: false, reason: 'a French VAT number is FR + 2 characters + the 9-digit SIREN' };
    const [, key, siren] = match as unknown as [string, string, string];
    if (!/^\d{2}$/.test(key)) return { valid: true, normalized: vat }; // pre-1993 alphanumeric keys: no arithmetic check exists
    if (key !== frenchVatKey(siren)) return { valid: false, reason: `the key should be ${frenchVatKey(siren)} for SIREN ${siren}` };
    return { valid: true, normalized: vat };
  }
  const pattern = EU_VAT_PATTERNS[country];
  if (!pattern) return { valid: false, reason: `unknown EU country prefix "${country}"` };
  return pattern.test(vat) ? { valid: true, normalized: vat } : { valid: false, reason: `not a valid ${country} VAT number format` };
}
