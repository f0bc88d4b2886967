import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { problemSchema } from '@vigie/core';
import { openApiPath, successStatus, type AnyRoute } from './route';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** OpenAPI 3.1 generated from the same zod schemas that validate requests: it cannot drift. */
export function buildOpenApi(routes: AnyRoute[], version: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const def of routes) {
    const status = String(successStatus(def));
    const operation: ZodOpenApiOperationObject = {
      summary: def.summary,
      tags: [def.tag],
      ...(def.auth === 'public' ? { security: [] } : { description: `Roles: ${def.auth.join(', ')}` }),
      requestParams: {
        ...(def.params ? { path: def.params } : {}),
        ...(def.query ? { query: def.query } : {}),
        ...(def.idempotent ? { header: idempotencyHeader } : {}),
      },
      ...(def.body ? { requestBody: { content: { 'application/json': { schema: def.body } } } } : {}),
      ...(def.rawBody
        ? { requestBody: { content: Object.fromEntries(def.rawBody.types.map((t) => [t, { schema: binary }])) } }
        : {}),
      responses: {
        [status]: def.response
          ? { description: 'Success', content: { 'application/json': { schema: def.response } } }
          : def.produces
            ? { description: 'Success', content: { [def.produces]: { schema: binary } } }
            : { description: 'Success, no content' },
        ...(def.etag ? { '304': { description: 'Not modified: If-None-Match names the current ETag' } } : {}),
        '400': problem('Invalid input (unknown fields are rejected)'),
        ...(def.auth === 'public' ? {} : { '401': problem('Missing or invalid token'), '403': problem('Role not allowed') }),
        ...(def.params ? { '404': problem('Not found, or another tenant’s') } : {}),
        '409': problem('Conflict or invalid state transition'),
      },
    };
    const key = openApiPath(def.path);
    paths[key] = { ...paths[key], [def.method]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Vigie API', version, description: 'CRM + PSA + RMM for MSPs. Errors are RFC 9457 problem+json.' },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  });
}

const binary = z.string().meta({ format: 'binary' });
const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(8)
    .max(200)
    .optional()
    .meta({ description: 'Repeat-safe key: a second request with the same key returns the first response' }),
});
