export { createApp } from './app';
export { createDeps, type AppDeps } from './deps';
