export * from './tenants/activities';
export * from './crm/activities';
export * from './mail/mailer';
export { quoteTemplateFor } from './crm/quote-pdf';
export * from './contracts/activities';
export * from './tickets/activities';
export * from './planning/activities';
