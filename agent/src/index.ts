/**
 * The RMM agent's building blocks (`vigie-agent enroll | run` will assemble them with the NATS connection):
 * the on-disk outbox and the telemetry sequence that make "nothing lost" hold, the Linux collectors, and the
 * commands the agent answers.
 */
export { AGENT_VERSION } from './version';

export { execRunner, type CommandRunner, type RunOptions, type RunResult } from './exec';
export { isValidUnitName, normalizeUnit } from './systemd';

export {
  DiskQueue,
  DiskQueueClosedError,
  type DiskQueueOptions,
  type DiskQueueStats,
  type FsyncPolicy,
  type QueuedMessage,
  type QueueRef,
  type RecoveryReport,
} from './outbox/disk-queue';
export { openSequence, SequenceFileError, type Sequence, type SequenceOptions } from './telemetry/sequence';

export {
  createLinuxCollector,
  type DiskUsage,
  type InterfaceRate,
  type LinuxCollector,
  type LinuxCollectorOptions,
  type LinuxMetrics,
  type LoadAverage,
} from './collect/linux';
export { listProcesses, type ProcessInfo } from './collect/processes';
export {
  detectSecurityProducts,
  LINUX_SECURITY_PRODUCTS,
  type SecurityDetectOptions,
  type SecurityProduct,
  type SecurityProductDefinition,
  type SecurityStatus,
} from './collect/security';
export {
  collectWatched,
  serviceStates,
  type ProcessState,
  type ServiceState,
  type WatchedState,
  type WatchOptions,
} from './collect/services';
export {
  createJournalReader,
  JournalError,
  type EventSeverity,
  type JournalBatch,
  type JournalReader,
  type JournalReaderOptions,
  type SystemEvent,
} from './collect/events';

export {
  InterpreterNotFoundError,
  runScript,
  SCRIPT_LANGUAGES,
  type RunScriptOptions,
  type RunScriptRequest,
  type RunScriptResult,
  type ScriptLanguage,
} from './commands/run-script';
export { ping, type PingResult } from './commands/ping';
export { restartService, type RestartServiceOptions, type RestartServiceResult } from './commands/restart-service';
export { rebootCommand, scheduleReboot, type RebootOptions, type ScheduledReboot } from './commands/reboot';
