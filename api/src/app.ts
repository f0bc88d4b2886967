import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express, type Request } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { AppError } from '@vigie/core';
import { createPassport } from './auth/passport';
import type { AppDeps } from './deps';
import { mountHealth } from './http/health';
import { createMetrics } from './http/metrics';
import { mountRoutes } from './http/mount';
import { buildOpenApi } from './http/openapi';
import { errorHandler } from './http/problem';
import type { AnyRoute } from './http/route';
import { allRoutes } from './routes';

const REQUEST_ID = /^[A-Za-z0-9_\-.:]{1,100}$/;
const VERSION = '0.1.0';

export interface App {
  app: Express;
  routes: AnyRoute[];
}

export function createApp(deps: AppDeps): App {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        // blob: frames show PDFs fetched with the token (quote preview).
        directives: { 'img-src': ["'self'", 'data:', 'blob:'], 'connect-src': ["'self'"], 'frame-src': ["'self'", 'blob:'] },
      },
    }),
  );
  const metrics = createMetrics();
  app.use(metrics.middleware);
  const root = express.Router();
  mountHealth(root, deps);
  metrics.mount(root);
  app.use(root);

  const passportInstance = createPassport(deps);
  const routes = allRoutes(deps, passportInstance);
  const openapi = buildOpenApi(routes, VERSION);
  const api = express.Router();
  api.use(passportInstance.initialize());
  api.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  mountRoutes(api, routes, deps, passportInstance);
  api.use((req: Request) => {
    throw AppError.notFound(`${req.method} ${req.baseUrl}${req.path}`);
  });
  app.use('/api/v1', api);
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(undefined, { swaggerOptions: { url: '/api/v1/openapi.json' } }));
  mountWeb(app, deps);
  app.use(errorHandler);
  return { app, routes };
}

/** The built web app (single-page: unknown paths get index.html); a plain page until it is built. */
function mountWeb(app: Express, deps: AppDeps): void {
  const dist = deps.config.WEB_DIST ?? path.resolve(__dirname, '..', '..', 'web', 'dist');
  const index = path.join(dist, 'index.html');
  if (fs.existsSync(index)) {
    app.use(express.static(dist, { index: false, maxAge: '1h' }));
    app.get(/^\/(?!api\/|api$).*/, (_req, res) => res.sendFile(index));
    return;
  }
  app.get('/', (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Vigie</title></head>
<body><h1>Vigie</h1><p>L’API tourne. The API is running: <a href="/api/docs">/api/docs</a>.</p></body></html>`);
  });
}
