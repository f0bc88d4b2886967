import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { AppError, type ErrorKind, type FieldError } from '@vigie/core';
import { isCheckViolation, isDatabaseUnavailable, isForeignKeyViolation, isUniqueViolation } from '@vigie/db';

/** The one place where an error's meaning becomes an HTTP status. */
const STATUS: Record<ErrorKind, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

const TITLE: Record<ErrorKind, string> = {
  invalid_input: 'Invalid input',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  too_large: 'Payload too large',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
};

export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: base ? `${base}.${key}` : key,
        message: `unknown field "${key}"`,
        code: 'unrecognized_key',
      }));
    }
    return [{ path: base, message: issue.message, code: issue.code }];
  });
}

export function sendProblem(res: Response, kind: ErrorKind, detail: string, errors?: FieldError[], extensions?: Record<string, unknown>): void {
  const status = STATUS[kind];
  res
    .status(status)
    .type('application/problem+json')
    .json({
      // Extension members first: they never replace a standard member.
      ...extensions,
      type: `urn:vigie:problem:${kind}`,
      title: TITLE[kind],
      status,
      detail,
      requestId: res.req.id,
      ...(errors?.length ? { errors } : {}),
    });
}

/** Turns anything thrown into RFC 9457 problem+json; unknown errors are logged and hidden. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) return;
  if (err instanceof AppError) return sendProblem(res, err.kind, err.message, err.fieldErrors, err.extensions);
  if (err instanceof z.ZodError) return sendProblem(res, 'invalid_input', 'request is invalid', zodFieldErrors(err));
  const http = err as { type?: string; status?: number; name?: string; message?: string };
  if (http.type === 'entity.parse.failed') return sendProblem(res, 'invalid_input', 'body is not valid JSON');
  if (http.type === 'entity.too.large') return sendProblem(res, 'too_large', 'body exceeds the size limit');
  if (http.type === 'encoding.unsupported' || http.type === 'charset.unsupported')
    return sendProblem(res, 'invalid_input', http.message ?? 'unsupported encoding');
  if (http.name === 'AuthenticationError' || http.status === 401)
    return sendProblem(res, 'unauthenticated', 'invalid credentials or token');
  if (isUniqueViolation(err)) return sendProblem(res, 'conflict', 'a record with the same unique value already exists');
  if (isForeignKeyViolation(err)) return sendProblem(res, 'invalid_input', 'a referenced record does not exist');
  if (isCheckViolation(err)) return sendProblem(res, 'conflict', 'the change breaks a data rule');
  if (isDatabaseUnavailable(err)) {
    req.log?.warn({ err }, 'database unavailable');
    res.setHeader('Retry-After', '5');
    return sendProblem(res, 'unavailable', 'the database is unavailable, retry shortly');
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).type('application/problem+json').json({
    type: 'urn:vigie:problem:internal',
    title: 'Internal error',
    status: 500,
    detail: 'an unexpected error occurred',
    requestId: req.id,
  });
};
