import { z } from 'zod';
import { ROLES } from '../roles';

export const emailSchema = z.email().max(254).transform((e) => e.toLowerCase());
export const passwordSchema = z.string().min(12, 'at least 12 characters').max(256);

export const signupBodySchema = z
  .strictObject({
    tenantName: z.string().trim().min(2).max(120),
    email: emailSchema,
    password: passwordSchema,
    name: z.string().trim().min(1).max(120),
  })
  .meta({ id: 'SignupBody' });
export type SignupBody = z.infer<typeof signupBodySchema>;

export const loginBodySchema = z
  .strictObject({ email: emailSchema, password: z.string().min(1).max(256) })
  .meta({ id: 'LoginBody' });
export type LoginBody = z.infer<typeof loginBodySchema>;

export const refreshBodySchema = z.strictObject({ refreshToken: z.string().min(20).max(200) }).meta({ id: 'RefreshBody' });
export const logoutBodySchema = z.strictObject({ refreshToken: z.string().min(20).max(200).optional() });

export const meSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    clientId: z.uuid().nullable(),
    locale: z.enum(['fr', 'en']).nullable(),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof meSchema>;

export const tokensSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().meta({ description: 'access token lifetime in seconds' }),
    user: meSchema,
  })
  .meta({ id: 'Tokens' });
export type Tokens = z.infer<typeof tokensSchema>;
