import { proxyActivities } from '@temporalio/workflow';
import type { BillingActivities } from '@vigie/activities';

const { previewInvoicePdf } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidTemplate'] },
});

export interface InvoicePreviewInput {
  tenantId: string;
  /** An uploaded ODT to check and preview (base64); null: the tenant's current template or the built-in one. */
  templateBase64: string | null;
}

/** A sample invoice rendered in the worker (where LibreOffice lives) with the tenant's look; base64 PDF. */
export async function invoicePreviewWorkflow(input: InvoicePreviewInput): Promise<string> {
  return previewInvoicePdf(input);
}
