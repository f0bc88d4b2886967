/** What went wrong, by meaning. The API maps each meaning to an HTTP status in one place. */
export type ErrorKind =
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable';

export interface FieldError {
  /** Dotted path of the offending field, `''` for the whole body. */
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly fieldErrors?: FieldError[],
    /** Extension members of the problem (RFC 9457 §3.2), e.g. the `conflicts` of a refused planning change. */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static notFound(what: string): AppError {
    return new AppError('not_found', `${what} not found`);
  }

  static conflict(message: string, extensions?: Record<string, unknown>): AppError {
    return new AppError('conflict', message, undefined, extensions);
  }

  static invalid(message: string, fieldErrors?: FieldError[]): AppError {
    return new AppError('invalid_input', message, fieldErrors);
  }
}
