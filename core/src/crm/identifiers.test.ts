import { checkVatNumber, frenchVatNumber, isValidSiren, isValidSiret } from './identifiers';

// Real, public identifiers (INSEE Sirene / VIES): Google France, Orange, La Poste, Airbus...
// French VAT keys are hand-computed: (12 + 3 × (SIREN mod 97)) mod 97.
describe('SIREN', () => {
  it.each([
    ['443061841', true], // Google France
    ['380129866', true], // Orange
    ['356000000', true], // La Poste
    ['732 829 320', true], // typed with spaces
    ['443061842', false], // last digit changed
    ['44306184', false], // 8 digits
    ['44306184A', false],
    ['', false],
  ])('%s → %s', (siren, valid) => expect(isValidSiren(siren)).toBe(valid));
});

describe('SIRET', () => {
  it.each([
    ['44306184100047', true], // Google France, siège
    ['35600000000048', true], // La Poste head office: Luhn (its digit sum, 26, is no multiple of 5)
    ['35600000000049', false], // head office with a wrong check digit
    ['35600000049837', true], // La Poste establishment: not Luhn-valid, digit sum divisible by 5
    ['35600000049838', false], // La Poste rule broken
    ['44306184100048', false],
    ['4430618410004', false],
  ])('%s → %s', (siret, valid) => expect(isValidSiret(siret)).toBe(valid));

  it('the La Poste establishment above really fails Luhn, so the exception is what accepts it', () => {
    // Luhn check by hand for 35600000049837: if it passed Luhn, this test would prove nothing.
    const digits = '35600000049837';
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    expect(sum % 10).not.toBe(0);
  });
});

describe('VAT numbers', () => {
  it('computes the French key from the SIREN', () => {
    expect(frenchVatNumber('443061841')).toBe('FR64443061841'); // 443061841 mod 97 = 82 → (12 + 246) mod 97 = 64
    expect(frenchVatNumber('380129866')).toBe('FR89380129866'); // Orange, as published
    expect(frenchVatNumber('356000000')).toBe('FR39356000000'); // La Poste
  });

  it.each([
    ['FR64443061841', true],
    ['fr 64 443 061 841', true],
    ['FR65443061841', false], // wrong key
    ['FR7544306184', false],
    ['DE811115368', true], // Airbus Defence (pattern)
    ['DE81111536', false],
    ['NL004495445B01', true],
    ['BE0403170701', true],
    ['ATU13585627', true],
    ['IT00743110157', true],
    ['ESA28015865', true],
    ['US123456789', false],
  ])('%s → %s', (vat, valid) => expect(checkVatNumber(vat).valid).toBe(valid));

  it('explains what is wrong', () => {
    expect(checkVatNumber('FR65443061841')).toEqual({ valid: false, reason: 'the key should be 64 for SIREN 443061841' });
  });
});
