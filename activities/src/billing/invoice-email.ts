import { frenchDate, type DunningKind, type InvoiceDocument } from '@vigie/core';

export type InvoiceEmailKind = 'invoice' | DunningKind;

const euros = (cents: number, currency: string) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency }).format(cents / 100);

/**
 * The e-mails of an invoice's life, in French (the invoices are French): the invoice itself (or credit
 * note) with its PDF, then the dunning ladder, each firmer than the last; the formal notice (mise en
 * demeure) names the late-payment penalties and the 40 € indemnity the invoice already printed.
 */
export function invoiceEmail(kind: InvoiceEmailKind, doc: InvoiceDocument, ctx: { tenantName: string; paymentUrl: string | null; balanceCents: number }): { subject: string; text: string } {
  const total = euros(doc.totalCents, doc.currency);
  const balance = euros(ctx.balanceCents, doc.currency);
  const due = frenchDate(doc.dueDate);
  const pay = ctx.paymentUrl ? `\nVous pouvez la régler en ligne : ${ctx.paymentUrl}\n` : '';
  const iban = doc.seller.iban ? `\nVirement : IBAN ${doc.seller.iban}${doc.seller.bic ? ` — BIC ${doc.seller.bic}` : ''}, référence ${doc.number}.\n` : '';
  const sign = `\nCordialement,\n${ctx.tenantName}`;
  switch (kind) {
    case 'invoice':
      if (doc.kind === 'credit_note') {
        return {
          subject: `Avoir ${doc.number} — ${ctx.tenantName}`,
          text: `Bonjour,\n\nVeuillez trouver ci-joint l’avoir ${doc.number} de ${euros(-doc.totalCents, doc.currency)} sur la facture ${doc.precedingInvoice?.number ?? ''}.\n${sign}`,
        };
      }
      return {
        subject: `Facture ${doc.number} — ${ctx.tenantName}`,
        text: `Bonjour,\n\nVeuillez trouver ci-joint la facture ${doc.number} d’un montant de ${total}, payable au plus tard le ${due}.\n${pay}${iban}${sign}`,
      };
    case 'reminder':
      return {
        subject: `Rappel : facture ${doc.number} échue le ${due}`,
        text: `Bonjour,\n\nSauf erreur de notre part, la facture ${doc.number} échue le ${due} reste impayée : ${balance} restent dus.\nS’il s’agit d’un oubli, merci de procéder au règlement dès que possible. Si vous l’avez déjà réglée, ne tenez pas compte de ce message.\n${pay}${iban}${sign}`,
      };
    case 'second_reminder':
      return {
        subject: `Second rappel : facture ${doc.number} impayée`,
        text: `Bonjour,\n\nMalgré notre précédent rappel, la facture ${doc.number} échue le ${due} n’est toujours pas réglée : ${balance} restent dus.\nMerci de régulariser la situation sous huit jours.\n${pay}${iban}${sign}`,
      };
    case 'formal_notice':
      return {
        subject: `Mise en demeure de payer : facture ${doc.number}`,
        text:
          `Bonjour,\n\nPar la présente, nous vous mettons en demeure de régler sous huit jours la somme de ${balance} due au titre de la facture ${doc.number} échue le ${due}.\n` +
          (doc.buyer.professional
            ? `Conformément à l’article L441-10 du Code de commerce, des pénalités de retard sont exigibles depuis le lendemain de l’échéance, ainsi qu’une indemnité forfaitaire pour frais de recouvrement de 40 €.\n`
            : '') +
          `À défaut de paiement dans ce délai, nous nous réservons le droit d’engager une procédure de recouvrement.\n${pay}${iban}${sign}`,
      };
  }
}
