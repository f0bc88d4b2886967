import { capText, replyText, ticketNumberIn, ticketSubject } from './message';

describe('ticketNumberIn', () => {
  it.each([
    ['Re: [#T-2026-0042] Imprimante', 'T-2026-0042'],
    ['Encore moi [# t-2026-7 ]', 'T-2026-7'],
    ['Ticket T-2026-0042 sans crochets', undefined],
    ['[#T-26-1]', undefined],
  ])('%j → %j', (subject, number) => expect(ticketNumberIn(subject)).toBe(number));
});

describe('ticketSubject', () => {
  it.each([
    ['Re: TR: Fwd: Devis', 'Devis'],
    ['RE [2]: Écran', 'Écran'],
    ['   ', '(sans objet)'],
    ['Reprise des sauvegardes', 'Reprise des sauvegardes'],
  ])('%j → %j', (input, output) => expect(ticketSubject(input)).toBe(output));

  it('keeps at most 300 characters', () => expect(ticketSubject('x'.repeat(400))).toHaveLength(300));
});

describe('replyText', () => {
  it('cuts the quoted message after the French or English attribution line', () => {
    expect(replyText('Merci !\n\nLe lun. 3 nov. 2026 à 10:00, Support <s@x.fr> a écrit :\n> Bonjour')).toBe('Merci !');
    expect(replyText('Thanks\nOn Mon, Nov 3, 2026 at 10:00 AM Support <s@x.fr> wrote:\n> Hello')).toBe('Thanks');
  });

  it('cuts an Outlook header block and an "Original message" separator', () => {
    expect(replyText('OK pour moi.\n\nDe : Support <s@x.fr>\nEnvoyé : lundi 3 novembre 2026 10:00\nÀ : Jeanne\nObjet : RE: Écran')).toBe('OK pour moi.');
    expect(replyText('Vu.\n-----Original Message-----\nFrom: a')).toBe('Vu.');
  });

  it('drops trailing quoted lines and keeps a mail that is all quote', () => {
    expect(replyText('Oui\n> question ?\n>')).toBe('Oui');
    expect(replyText('> tout est cité')).toBe('> tout est cité');
    expect(replyText('De : quelqu’un qui écrit une phrase\nsans en-tête')).toBe('De : quelqu’un qui écrit une phrase\nsans en-tête');
  });
});

describe('capText', () => {
  it('says when it cut', () => {
    const cut = capText('a'.repeat(100), 50);
    expect(cut).toHaveLength(50);
    expect(cut.endsWith('[… message tronqué]')).toBe(true);
    expect(capText('court', 50)).toBe('court');
  });
});
