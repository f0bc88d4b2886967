// Sandbox entry of the `crm` task queue.
export { reminderWorkflow } from './reminder.workflow';
export { quotePdfWorkflow } from './quote-pdf.workflow';
export { emailDeliveryWorkflow } from './email-delivery.workflow';
