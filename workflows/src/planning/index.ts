// Sandbox entry of the `planning` task queue.
export { interventionReminderWorkflow } from './intervention-reminder.workflow';
