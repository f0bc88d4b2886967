/**
 * Jest setup: each Jest worker process gets its own task queues on the shared test Temporal server, so
 * test files running side by side never take each other's workflow or activity tasks.
 */
process.env.TEMPORAL_TASK_QUEUE_SUFFIX = `-jest${process.env.JEST_WORKER_ID ?? '0'}`;
