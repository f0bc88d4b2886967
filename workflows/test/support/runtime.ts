import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

let installed = false;

/** The SDK's runtime, once per test process, logging errors only (expected failures are tested). */
export function installQuietRuntime(): void {
  if (installed) return;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  installed = true;
}
