/**
 * The billing module's texts (French, the reference): `billing` in fr.ts. Pre-billing for now; invoices
 * will join it. billing.en.ts has the same keys (checked by its type).
 */
const billingFr = {
  preBilling: {
    title: 'Pré-facturation',
    intro:
      'Le temps approuvé des tickets fermés que leur contrat ne couvre pas, valorisé au taux horaire du contrat, du client ou, à défaut, de votre société. Il attend d’être facturé.',
    date: 'Date',
    client: 'Client',
    ticket: 'Ticket',
    description: 'Travail',
    hours: 'Heures',
    rate: 'Taux horaire',
    amount: 'Montant',
    lines: 'Lignes',
    statusLabel: 'État',
    status: { pending: 'À facturer', deferred: 'Reporté', invoiced: 'Facturé', cancelled: 'Annulé' },
    totalsTitle: 'À facturer par client',
    totalsListed: 'Somme des lignes à facturer affichées ci-dessous.',
    totalsPage: 'Somme des lignes à facturer de cette page : les pages suivantes en ont d’autres.',
    emptyTitle: 'Rien à facturer pour l’instant',
    emptyFilteredTitle: 'Aucune ligne pour ces filtres',
    empty:
      'À la fermeture d’un ticket, son temps approuvé et facturable qu’aucun contrat ne couvre (ticket sans contrat, régie, banque d’heures épuisée, heures incluses d’un abonnement dépassées) arrive ici, valorisé au taux du contrat, du client ou à votre taux horaire par défaut. Le temps approuvé après la fermeture y arrive aussitôt.',
  },
};

export default billingFr;
