import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config, Role } from '@vigie/core';

export const ACCESS_TOKEN_ALGORITHM = 'HS256' as const;

export interface AccessClaims {
  sub: string;
  tid: string;
  role: Role;
  name: string;
  cid: string | null;
}

export function signAccessToken(config: Config, claims: AccessClaims): string {
  return jwt.sign(claims, config.JWT_SECRET, {
    algorithm: ACCESS_TOKEN_ALGORITHM,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
    jwtid: randomUUID(),
  });
}

/** Opaque secrets (refresh tokens, invitation links) are random strings; only their SHA-256 is stored. */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
