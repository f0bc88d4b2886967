// Sandbox entry of the `rmm` task queue.
export { alertWorkflow } from './alert.workflow';
