export * from './tenants/activities';
