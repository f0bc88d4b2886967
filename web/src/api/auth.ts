import type { LoginBody, Me, SignupBody, Tokens } from '@vigie/core';
import { http } from './http';

export const signup = (body: SignupBody) => http.post<Tokens>('/signup', body, { auth: false });
export const login = (body: LoginBody) => http.post<Tokens>('/auth/login', body, { auth: false });
export const logout = (refreshToken: string | null) =>
  http.post<void>('/auth/logout', refreshToken ? { refreshToken } : {}, { expireOnFailure: false });
export const getMe = () => http.get<Me>('/me');
