import { AppError } from '../../errors';
import type { InvoiceDocument } from '../invoice-document';
import authFault from './fixtures/quickbooks-fault-auth.json';
import duplicateFault from './fixtures/quickbooks-fault-duplicate.json';
import creditMemoCreated from './fixtures/quickbooks-creditmemo-created.json';
import invoiceCreated from './fixtures/quickbooks-invoice-created.json';
import paymentCreated from './fixtures/quickbooks-payment-created.json';
import march from './fixtures/march-2027.json';
import type { JournalSource } from './journal';
import { QUICKBOOKS_SANDBOX_URL, parseQuickBooksResponse, quickBooksSync, type QuickBooksInvoiceContext } from './quickbooks-sync';
import type { FetchLike } from './sync';

const SOURCE = march as unknown as JournalSource;
const [INVOICE, , CREDIT_NOTE] = SOURCE.documents.map((d) => d.document) as [InvoiceDocument, InvoiceDocument, InvoiceDocument];
const PAYMENT = SOURCE.payments[0]!;
const CTX: QuickBooksInvoiceContext = { customerId: '58', itemId: '1', taxCodeByRate: { 2000: '12', 550: '14' } };

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

const sync = (fetch: FetchLike) => quickBooksSync({ fetch, baseUrl: QUICKBOOKS_SANDBOX_URL, realmId: '9341452816231420', accessToken: async () => 'eyJ.test-token' });

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('did not reject');
}

describe('QuickBooks Online sync', () => {
  it('creates an invoice and returns its Invoice.Id', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: invoiceCreated }]);
    await expect(sync(fetch).pushInvoice(INVOICE, CTX)).resolves.toEqual({ externalId: '130' });
    expect(requests).toEqual([
      {
        method: 'POST',
        url: 'https://sandbox-quickbooks.api.intuit.com/v3/company/9341452816231420/invoice?minorversion=75&requestid=vigie-invoice-F-2027-0001',
        headers: { Authorization: 'Bearer eyJ.test-token', Accept: 'application/json', 'Content-Type': 'application/json' },
        body: {
          DocNumber: 'F-2027-0001',
          TxnDate: '2027-03-05',
          DueDate: '2027-04-04',
          CustomerRef: { value: '58' },
          CurrencyRef: { value: 'EUR' },
          GlobalTaxCalculation: 'TaxExcluded',
          BillEmail: { Address: 'compta@acme.fr' },
          Line: [
            {
              LineNum: 1,
              Description: 'Support utilisateurs (heures)',
              Amount: 850,
              DetailType: 'SalesItemLineDetail',
              SalesItemLineDetail: { ItemRef: { value: '1' }, Qty: 10, UnitPrice: 85, TaxCodeRef: { value: '12' } },
            },
            {
              LineNum: 2,
              Description: 'Abonnement revue Linux Pratique',
              Amount: 91,
              DetailType: 'SalesItemLineDetail',
              SalesItemLineDetail: { ItemRef: { value: '1' }, Qty: 2, UnitPrice: 45.5, TaxCodeRef: { value: '14' } },
            },
          ],
        },
      },
    ]);
  });

  it('creates a credit note as a CreditMemo with positive amounts', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: creditMemoCreated }]);
    await expect(sync(fetch).pushInvoice(CREDIT_NOTE, CTX)).resolves.toEqual({ externalId: '131' });
    expect(requests[0]!.url).toBe('https://sandbox-quickbooks.api.intuit.com/v3/company/9341452816231420/creditmemo?minorversion=75&requestid=vigie-creditmemo-F-2027-0003');
    expect(requests[0]!.body).toEqual({
      DocNumber: 'F-2027-0003',
      TxnDate: '2027-03-20',
      CustomerRef: { value: '58' },
      CurrencyRef: { value: 'EUR' },
      GlobalTaxCalculation: 'TaxExcluded',
      BillEmail: { Address: 'compta@acme.fr' },
      PrivateNote: 'Avoir sur la facture F-2027-0001 du 2027-03-05',
      Line: [
        {
          LineNum: 1,
          Description: 'Support utilisateurs (heures)',
          Amount: 170,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: '1' }, Qty: 2, UnitPrice: 85, TaxCodeRef: { value: '12' } },
        },
      ],
    });
  });

  it('records a payment applied to two invoices', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: paymentCreated }]);
    const ctx = { customerId: '58', depositAccountId: '35', invoices: [{ externalId: '130', amountCents: 91_201 }, { externalId: '132', amountCents: 36_000 }] };
    await expect(sync(fetch).pushPayment(PAYMENT, ctx)).resolves.toEqual({ externalId: '162' });
    expect(requests[0]!.url).toBe(`https://sandbox-quickbooks.api.intuit.com/v3/company/9341452816231420/payment?minorversion=75&requestid=vigie-payment-${PAYMENT.id}`);
    expect(requests[0]!.body).toEqual({
      TxnDate: '2027-03-28',
      TotalAmt: 1272.01,
      CustomerRef: { value: '58' },
      CurrencyRef: { value: 'EUR' },
      PaymentRefNum: 'VIR ACME 2803',
      DepositToAccountRef: { value: '35' },
      Line: [
        { Amount: 912.01, LinkedTxn: [{ TxnId: '130', TxnType: 'Invoice' }] },
        { Amount: 360, LinkedTxn: [{ TxnId: '132', TxnType: 'Invoice' }] },
      ],
    });
    await expect(sync(fetch).pushPayment(PAYMENT, { customerId: '58', invoices: [{ externalId: '130', amountCents: 200_000 }] })).rejects.toThrow(/applies 200000 cents/);
  });

  it('states a line QuickBooks cannot multiply back as one unit at its amount', async () => {
    const { fetch, requests } = fakeFetch([{ status: 200, body: invoiceCreated }]);
    const rounded = { ...INVOICE, lines: [{ ...INVOICE.lines[0]!, quantityMilli: 1500, unitPriceCents: 3333, totalExclTaxCents: 5000 }] };
    await sync(fetch).pushInvoice(rounded, CTX);
    expect((requests[0]!.body as any).Line[0]).toMatchObject({ Description: 'Support utilisateurs (heures) (1.5 × 33.33)', Amount: 50, SalesItemLineDetail: { Qty: 1, UnitPrice: 50 } });
  });

  it('turns a validation Fault into invalid_input with QuickBooks’ message', async () => {
    const { fetch } = fakeFetch([{ status: 400, body: duplicateFault }]);
    const error = await rejection(sync(fetch).pushInvoice(INVOICE, CTX));
    expect(error.kind).toBe('invalid_input');
    expect(error.message).toBe(
      'QuickBooks refused invoice F-2027-0001: Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=F-2027-0001 is assigned to TxnType=Invoice with TxnId=130 (code 6140)',
    );
    expect(error.extensions).toMatchObject({ vendor: 'quickbooks', status: 400 });
  });

  it('turns an authentication fault into unavailable, asking to reconnect', async () => {
    const { fetch } = fakeFetch([{ status: 401, body: authFault }]);
    const error = await rejection(sync(fetch).pushInvoice(INVOICE, CTX));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toMatch(/^QuickBooks refused the credentials \(HTTP 401\) while creating invoice F-2027-0001: message=AuthenticationFailed; errorCode=003200; statusCode=401: Token expired: .* \(code 3200\); reconnect the QuickBooks integration$/);
  });

  it('reports rate limits, outages and unreachable servers', async () => {
    expect((await rejection(sync(fakeFetch([{ status: 429, body: 'Too Many Requests' }]).fetch).pushInvoice(INVOICE, CTX))).kind).toBe('rate_limited');
    const outage = await rejection(sync(fakeFetch([{ status: 503, body: '<html><body>Service Unavailable</body></html>' }]).fetch).pushInvoice(INVOICE, CTX));
    expect(outage.kind).toBe('unavailable');
    expect(outage.message).toBe('QuickBooks failed while creating invoice F-2027-0001 (HTTP 503): <html><body>Service Unavailable</body></html>');
    const down: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };
    expect((await rejection(sync(down).pushInvoice(INVOICE, CTX))).message).toBe('QuickBooks could not be reached while creating invoice F-2027-0001: fetch failed');
    expect(() => parseQuickBooksResponse(200, '{"time":"x"}', 'Invoice', 'invoice F-1')).toThrow('QuickBooks answered creating invoice F-1 without Invoice.Id');
  });

  it('refuses a VAT rate without a tax code before calling', async () => {
    const { fetch, requests } = fakeFetch([]);
    const error = await rejection(sync(fetch).pushInvoice(INVOICE, { ...CTX, taxCodeByRate: { 2000: '12' } }));
    expect(error.message).toBe('no QuickBooks tax code for 5,5 % in the integration settings (invoice F-2027-0001)');
    expect(requests).toEqual([]);
  });
});
