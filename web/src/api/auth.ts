import type { z } from 'zod';
import type { LoginBody, Me, SignupBody, Tokens, acceptInvitationBodySchema } from '@vigie/core';
import { http } from './http';

export const signup = (body: SignupBody) => http.post<Tokens>('/signup', body, { auth: false });
export const login = (body: LoginBody) => http.post<Tokens>('/auth/login', body, { auth: false });
export const logout = (refreshToken: string | null) =>
  http.post<void>('/auth/logout', refreshToken ? { refreshToken } : {}, { expireOnFailure: false });
export const getMe = () => http.get<Me>('/me');
/** Public: the invitation link's token and the chosen password; answers tokens (logged in). */
export type AcceptInvitationBody = z.infer<typeof acceptInvitationBodySchema>;
export const acceptInvitation = (body: AcceptInvitationBody) => http.post<Tokens>('/auth/accept-invite', body, { auth: false });
