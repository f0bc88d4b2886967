import { AppError } from '../../errors';
import { encodeSingleByte } from './encoding';

const bytes = (text: string, charset: 'iso-8859-15' | 'windows-1252') => [...encodeSingleByte(text, charset)];

describe('single-byte encodings', () => {
  it('maps ASCII and accents to the same bytes in both', () => {
    expect(bytes('Aé;ç\r\n', 'iso-8859-15')).toEqual([0x41, 0xe9, 0x3b, 0xe7, 0x0d, 0x0a]);
    expect(bytes('Aé;ç\r\n', 'windows-1252')).toEqual([0x41, 0xe9, 0x3b, 0xe7, 0x0d, 0x0a]);
  });

  it('puts the euro sign and œ where each charset has them', () => {
    expect(bytes('€œŒŸ', 'iso-8859-15')).toEqual([0xa4, 0xbd, 0xbc, 0xbe]);
    expect(bytes('€œŒŸ', 'windows-1252')).toEqual([0x80, 0x9c, 0x8c, 0x9f]);
  });

  it('transliterates typography the charset lacks, keeps what it has', () => {
    expect(bytes('l’an – 1…\u202f%', 'iso-8859-15')).toEqual([...Buffer.from("l'an - 1... %", 'latin1')]);
    expect(bytes('l’an – 1…', 'windows-1252')).toEqual([0x6c, 0x92, 0x61, 0x6e, 0x20, 0x96, 0x20, 0x31, 0x85]);
    // ¤ is Latin-1 but not ISO-8859-15.
    expect(() => encodeSingleByte('¤', 'iso-8859-15')).toThrow(AppError);
  });

  it('refuses, or replaces on request, a character it cannot write', () => {
    expect(() => encodeSingleByte('Łódź', 'iso-8859-15')).toThrow('ISO-8859-15 cannot encode "Ł" (U+0141), "ź" (U+017A): write the file as UTF-8');
    expect(() => encodeSingleByte('Łódź', 'windows-1252')).toThrow('WINDOWS-1252 cannot encode "Ł" (U+0141), "ź" (U+017A): write the file as UTF-8');
    expect([...encodeSingleByte('Łódź', 'windows-1252', { unmappable: 'replace' })]).toEqual([0x3f, 0xf3, 0x64, 0x3f]);
  });
});
