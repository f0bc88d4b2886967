import http from 'node:http';
import { loadConfig } from '@vigie/core';
import { startCommandSweeper } from './agents/command-sweep';
import { startRevocationReconciler } from './agents/credential-routes';
import { createApp } from './app';
import { createDeps } from './deps';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const deps = await createDeps(config);
  const { app } = createApp(deps);
  const server = http.createServer(app);
  server.listen(config.PORT, config.HOST, () => {
    deps.log.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api listening');
  });
  const stopReconciler = startRevocationReconciler(deps);
  const stopSweeper = startCommandSweeper(deps);
  const stop = () => {
    deps.log.info('api stopping');
    stopReconciler();
    const swept = stopSweeper();
    server.close(() => {
      void swept.then(() => deps.close()).then(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
