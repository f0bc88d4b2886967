// Sandbox entry of the `billing` task queue.
export { invoiceWorkflow } from './invoice.workflow';
export { billingRunWorkflow } from './billing-run.workflow';
export { invoicePreviewWorkflow } from './invoice-preview.workflow';
