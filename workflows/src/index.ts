// Workflow definitions by domain, for typing only; each worker loads its domain's bundle (see bundle.ts).
export * as tenantWorkflows from './tenants';
export { onboardingStepsQuery, ONBOARDING_STEPS } from './tenants/tenant-onboarding.workflow';
export type { OnboardingResult, OnboardingStep } from './tenants/tenant-onboarding.workflow';
export * as crmWorkflows from './crm';
export {
  snoozeReminderSignal,
  completeReminderSignal,
  cancelReminderSignal,
  reminderStateQuery,
} from './crm/reminder.workflow';
export type { ReminderOutcome, ReminderState } from './crm/reminder.workflow';
export * as contractWorkflows from './contracts';
export {
  consumeTimeUpdate,
  reverseTimeUpdate,
  buyBlockUpdate,
  adjustBalanceUpdate,
  contractChangedSignal,
  hourBankQuery,
  MAX_ENTRY_MINUTES,
} from './contracts/contract.workflow';
export type { ContractWorkflowInput, ConsumeTimeRequest, BuyBlockRequest, AdjustRequest } from './contracts/contract.workflow';
export * as ticketWorkflows from './tickets';
export { ticketChangedSignal, ticketSlaQuery } from './tickets/ticket.workflow';
export type { TicketChange, TicketWorkflowInput, TicketSlaView, TicketOutcome } from './tickets/ticket.workflow';
export * as planningWorkflows from './planning';
export { interventionRescheduledSignal, interventionReminderCancelSignal, interventionReminderStateQuery } from './planning/intervention-reminder.workflow';
export type { InterventionReminderInput, InterventionReminderOutcome, InterventionReminderState, InterventionSchedule } from './planning/intervention-reminder.workflow';
export * as billingWorkflows from './billing';
export { invoicePaidSignal, invoiceStateQuery } from './billing/invoice.workflow';
export type { InvoiceWorkflowInput, InvoiceWorkflowState, InvoicePhase } from './billing/invoice.workflow';
export { billingRunProgressQuery } from './billing/billing-run.workflow';
export type { BillingRunInput, BillingRunProgress } from './billing/billing-run.workflow';
export * as rmmWorkflows from './rmm';
export { alertObservedSignal, alertStateQuery } from './rmm/alert.workflow';
export type { AlertObservation, AlertWorkflowInput, AlertWorkflowState, AlertPhase, AlertOutcome } from './rmm/alert.workflow';
