// Sandbox entry of the `tickets` task queue.
export { ticketWorkflow } from './ticket.workflow';
