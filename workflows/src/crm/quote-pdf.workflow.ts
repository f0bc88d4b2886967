import { proxyActivities } from '@temporalio/workflow';
import type { CrmActivities } from '@vigie/activities';

const { renderQuotePdf } = proxyActivities<CrmActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['QuoteNotFound'] },
});

/** Renders a quote's PDF in the worker, where LibreOffice lives; returns the stored document's id. */
export async function quotePdfWorkflow(input: { tenantId: string; quoteId: string }): Promise<{ documentId: string; rendered: boolean }> {
  return renderQuotePdf(input);
}
