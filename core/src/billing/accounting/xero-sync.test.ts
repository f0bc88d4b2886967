import { AppError } from '../../errors';
import type { InvoiceDocument } from '../invoice-document';
import batchPaymentCreated from './fixtures/xero-batch-payment-created.json';
import creditNoteCreated from './fixtures/xero-credit-note-created.json';
import invoiceCreated from './fixtures/xero-invoice-created.json';
import paymentCreated from './fixtures/xero-payment-created.json';
import unauthorized from './fixtures/xero-unauthorized.json';
import validationError from './fixtures/xero-validation-error.json';
import march from './fixtures/march-2027.json';
import { DEFAULT_ACCOUNTING_SETTINGS, type AccountingSettings, type JournalSource } from './journal';
import type { FetchLike } from './sync';
import { parseXeroResponse, xeroSync, type XeroInvoiceContext } from './xero-sync';

const SOURCE = march as unknown as JournalSource;
const [INVOICE, , CREDIT_NOTE] = SOURCE.documents.map((d) => d.document) as [InvoiceDocument, InvoiceDocument, InvoiceDocument];
const PAYMENT = SOURCE.payments[0]!;
const SETTINGS: AccountingSettings = {
  ...DEFAULT_ACCOUNTING_SETTINGS,
  accounts: { ...DEFAULT_ACCOUNTING_SETTINGS.accounts, salesByRate: { 550: { number: '707100', label: 'Ventes de publications' } } },
};
const CTX: XeroInvoiceContext = { contactId: '4d6b2a3e-7f1c-4b0a-9e8d-1c2b3a4d5e6f', taxTypeByRate: { 2000: 'OUTPUT2', 550: 'OUTPUT5' }, settings: SETTINGS };
const HEADERS = {
  Authorization: 'Bearer eyJ.xero-token',
  'xero-tenant-id': '70784a63-d24b-46a9-a4db-0e70a274b056',
  Accept: 'application/json',
  'Content-Type': 'application/json',
};

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Serves recorded responses in order and records the requests. */
function fakeFetch(responses: { status: number; body: unknown }[]): { fetch: FetchLike; requests: Recorded[] } {
  const requests: Recorded[] = [];
  const fetch: FetchLike = async (url, init) => {
    requests.push({ method: init.method, url, headers: init.headers, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const next = responses.shift();
    if (!next) throw new Error('no recorded response left');
    return { status: next.status, text: async () => (typeof next.body === 'string' ? next.body : JSON.stringify(next.body)) };
  };
  return { fetch, requests };
}

const sync = (fetch: FetchLike) => xeroSync({ fetch, tenantId: '70784a63-d24b-46a9-a4db-0e70a274b056', accessToken: async () => 'eyJ.xero-token' });

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('did not reject');
}

describe('Xero sync', () => {
  it('creates an authorised ACCREC invoice and returns its InvoiceID', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: invoiceCreated }]);
    await expect(sync(fetch).pushInvoice(INVOICE, CTX)).resolves.toEqual({ externalId: '243216c5-369e-4056-ac67-05388f86dc81' });
    expect(requests).toEqual([
      {
        method: 'PUT',
        url: 'https://api.xero.com/api.xro/2.0/Invoices',
        headers: { ...HEADERS, 'Idempotency-Key': 'vigie-invoice-F-2027-0001' },
        body: {
          Invoices: [
            {
              Type: 'ACCREC',
              InvoiceNumber: 'F-2027-0001',
              Reference: 'BC-4471',
              DueDate: '2027-04-04',
              Contact: { ContactID: '4d6b2a3e-7f1c-4b0a-9e8d-1c2b3a4d5e6f' },
              Date: '2027-03-05',
              LineAmountTypes: 'Exclusive',
              LineItems: [
                { Description: 'Support utilisateurs (heures)', Quantity: 10, UnitAmount: 85, LineAmount: 850, AccountCode: '706000', TaxType: 'OUTPUT2' },
                { Description: 'Abonnement revue Linux Pratique', Quantity: 2, UnitAmount: 45.5, LineAmount: 91, AccountCode: '707100', TaxType: 'OUTPUT5' },
              ],
              CurrencyCode: 'EUR',
              Status: 'AUTHORISED',
            },
          ],
        },
      },
    ]);
  });

  it('creates a credit note as an ACCRECCREDIT credit note with positive amounts', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: creditNoteCreated }]);
    await expect(sync(fetch).pushInvoice(CREDIT_NOTE, CTX)).resolves.toEqual({ externalId: '7c9d1e2f-3a4b-4c5d-8e6f-0a1b2c3d4e5f' });
    expect(requests[0]!.url).toBe('https://api.xero.com/api.xro/2.0/CreditNotes');
    expect(requests[0]!.headers['Idempotency-Key']).toBe('vigie-creditnote-F-2027-0003');
    expect(requests[0]!.body).toEqual({
      CreditNotes: [
        {
          Type: 'ACCRECCREDIT',
          CreditNoteNumber: 'F-2027-0003',
          Reference: 'Avoir sur F-2027-0001',
          Contact: { ContactID: '4d6b2a3e-7f1c-4b0a-9e8d-1c2b3a4d5e6f' },
          Date: '2027-03-20',
          LineAmountTypes: 'Exclusive',
          LineItems: [{ Description: 'Support utilisateurs (heures)', Quantity: 2, UnitAmount: 85, LineAmount: 170, AccountCode: '706000', TaxType: 'OUTPUT2' }],
          CurrencyCode: 'EUR',
          Status: 'AUTHORISED',
        },
      ],
    });
  });

  it('records a payment of two invoices as one batch payment', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: batchPaymentCreated }]);
    const ctx = {
      bankAccountCode: '512000',
      invoices: [
        { externalId: '243216c5-369e-4056-ac67-05388f86dc81', amountCents: 91_201 },
        { externalId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', amountCents: 36_000 },
      ],
    };
    await expect(sync(fetch).pushPayment(PAYMENT, ctx)).resolves.toEqual({ externalId: 'd318c343-208e-49fe-b04a-45642349bcf1' });
    expect(requests[0]).toEqual({
      method: 'PUT',
      url: 'https://api.xero.com/api.xro/2.0/BatchPayments',
      headers: { ...HEADERS, 'Idempotency-Key': `vigie-payment-${PAYMENT.id}` },
      body: {
        BatchPayments: [
          {
            Account: { Code: '512000' },
            Date: '2027-03-28',
            Reference: 'VIR ACME 2803',
            Payments: [
              { Invoice: { InvoiceID: '243216c5-369e-4056-ac67-05388f86dc81' }, Amount: 912.01 },
              { Invoice: { InvoiceID: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a' }, Amount: 360 },
            ],
          },
        ],
      },
    });
  });

  it('records a payment of one invoice as a payment', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: paymentCreated }]);
    const card = { ...PAYMENT, reference: 'CB 2803', method: 'card' as const, amountCents: 36_000, invoiceNumbers: ['F-2027-0002'] };
    await expect(sync(fetch).pushPayment(card, { bankAccountCode: '512000', invoices: [{ externalId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', amountCents: 36_000 }] })).resolves.toEqual({
      externalId: '0d666415-cf77-43fa-80c7-56775591d426',
    });
    expect(requests[0]!.url).toBe('https://api.xero.com/api.xro/2.0/Payments');
    expect(requests[0]!.body).toEqual({
      Payments: [{ Invoice: { InvoiceID: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a' }, Account: { Code: '512000' }, Date: '2027-03-28', Amount: 360, Reference: 'CB 2803' }],
    });
    await expect(sync(fetch).pushPayment(card, { bankAccountCode: '512000', invoices: [] })).rejects.toThrow('payment CB 2803 names no Xero invoice to settle');
  });

  it('turns ValidationErrors into invalid_input with Xero’s messages', async () => {
    const { fetch } = fakeFetch([{ status: 400, body: validationError }]);
    const error = await rejection(sync(fetch).pushInvoice(INVOICE, CTX));
    expect(error.kind).toBe('invalid_input');
    expect(error.message).toBe("Xero refused invoice F-2027-0001: Invoice # must be unique.; The TaxType code 'OUTPUT5' does not exist or cannot be used for this type of transaction.");
    expect(error.extensions).toEqual({
      vendor: 'xero',
      status: 400,
      vendorMessages: ['Invoice # must be unique.', "The TaxType code 'OUTPUT5' does not exist or cannot be used for this type of transaction."],
    });
  });

  it('turns a 401 into unavailable, asking to reconnect', async () => {
    const { fetch } = fakeFetch([{ status: 401, body: unauthorized }]);
    const error = await rejection(sync(fetch).pushInvoice(INVOICE, CTX));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toBe('Xero refused the credentials (HTTP 401) while creating invoice F-2027-0001: AuthenticationUnsuccessful; reconnect the Xero integration');
  });

  it('reads errors reported inside a 200 and refuses answers without an id', () => {
    const body = JSON.stringify({ Invoices: [{ InvoiceID: '00000000-0000-0000-0000-000000000000', HasValidationErrors: true, ValidationErrors: [{ Message: 'Account code 706000 is not a valid code for this document.' }] }] });
    expect(() => parseXeroResponse(200, body, 'Invoices', 'invoice F-1')).toThrow('Xero refused invoice F-1: Account code 706000 is not a valid code for this document.');
    expect(() => parseXeroResponse(200, '{"Invoices":[]}', 'Invoices', 'invoice F-1')).toThrow('Xero answered creating invoice F-1 without Invoices[0].InvoiceID');
  });

  it('refuses a VAT rate without a tax type before calling', async () => {
    const { fetch, requests } = fakeFetch([]);
    await expect(sync(fetch).pushInvoice(INVOICE, { ...CTX, taxTypeByRate: { 2000: 'OUTPUT2' } })).rejects.toThrow('no Xero tax type for 5,5 % in the integration settings (invoice F-2027-0001)');
    expect(requests).toEqual([]);
  });
});
