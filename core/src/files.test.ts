import { sanitizeFilename, sniffDocumentType } from './files';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('sniffDocumentType', () => {
  it.each([
    [bytes('%PDF-1.7\n...'), 'devis.pdf', 'application/pdf'],
    [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'x.png', 'image/png'],
    [new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), 'x.jpg', 'image/jpeg'],
    [new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1]), 'contrat.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    [new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1]), 'archive.zip', 'application/zip'],
    [bytes('nom;siren\nA;123'), 'clients.csv', 'text/csv'],
    [bytes('Notes de réunion'), 'notes.txt', 'text/plain'],
  ])('recognises %#', (content, name, type) => expect(sniffDocumentType(content, name)).toBe(type));

  it('refuses executables and binary junk whatever their name', () => {
    expect(sniffDocumentType(new Uint8Array([0x4d, 0x5a, 0x90, 0x00]), 'facture.pdf')).toBeUndefined(); // MZ: Windows executable
    expect(sniffDocumentType(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0]), 'notes.txt')).toBeUndefined(); // ELF
    expect(sniffDocumentType(new Uint8Array([]), 'empty.pdf')).toBeUndefined();
  });
});

describe('sanitizeFilename', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\x\\Devis 2026.pdf', 'Devis 2026.pdf'],
    ['.htaccess', 'htaccess'],
    ['a\u0000b<c>:d"e|f?g*.pdf', 'a_b_c__d_e_f_g_.pdf'],
    ['   ', 'document'],
    ['Contrat d’infogérance.pdf', 'Contrat d’infogérance.pdf'],
  ])('%j → %j', (input, output) => expect(sanitizeFilename(input)).toBe(output));

  it('shortens long names and keeps the extension', () => {
    const name = sanitizeFilename(`${'x'.repeat(300)}.pdf`);
    expect(name).toHaveLength(150);
    expect(name.endsWith('.pdf')).toBe(true);
  });
});
