import type billingFr from './billing.fr';

/** The billing module's texts in English: same keys as billing.fr.ts (checked by the type). */
const billingEn: typeof billingFr = {
  preBilling: {
    title: 'Pre-billing',
    intro:
      'Approved time of closed tickets that their contract does not cover, valued at the hourly rate of the contract, of the client or, failing those, of your company. It is waiting to be invoiced.',
    date: 'Date',
    client: 'Client',
    ticket: 'Ticket',
    description: 'Work',
    hours: 'Hours',
    rate: 'Hourly rate',
    amount: 'Amount',
    lines: 'Lines',
    statusLabel: 'State',
    status: { pending: 'To invoice', deferred: 'Deferred', invoiced: 'Invoiced', cancelled: 'Cancelled' },
    totalsTitle: 'To invoice per client',
    totalsListed: 'Sum of the lines to invoice shown below.',
    totalsPage: 'Sum of the lines to invoice on this page: the next pages have more.',
    emptyTitle: 'Nothing to invoice yet',
    emptyFilteredTitle: 'No lines for these filters',
    empty:
      'When a ticket is closed, its approved billable time that no contract covers (ticket without a contract, time and material, hour bank used up, a subscription’s included hours exceeded) lands here, valued at the contract’s or the client’s rate, or at your default hourly rate. Time approved after the ticket is closed lands here at once.',
  },
};

export default billingEn;
