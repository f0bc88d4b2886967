// Sandbox entry of the `contracts` task queue.
export { contractWorkflow } from './contract.workflow';
