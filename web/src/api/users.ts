import type { z } from 'zod';
import type { CreateUserBody, InviteUserBody, Page, UpdateUserBody, User, UserListQuery, invitationSchema } from '@vigie/core';
import { http } from './http';

export type UserListParams = Partial<UserListQuery>;

export const listUsers = (params: UserListParams) => http.get<Page<User>>('/users', params);
export const getUser = (id: string) => http.get<User>(`/users/${encodeURIComponent(id)}`);
/** The idempotency key makes a retried submit (double click, flaky network) create one user only. */
export const createUser = (body: CreateUserBody, idempotencyKey?: string) =>
  http.post<User>('/users', body, { headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} });
export const updateUser = (id: string, body: UpdateUserBody) => http.patch<User>(`/users/${encodeURIComponent(id)}`, body);
export const deleteUser = (id: string) => http.delete(`/users/${encodeURIComponent(id)}`);

/** What an invitation answers: the user (no password yet), when the link expires, and whether the e-mail was queued. */
export type Invitation = z.infer<typeof invitationSchema>;
/** Invites by e-mail (admins): the link lets them choose their password (valid 7 days). */
export const inviteUser = (body: InviteUserBody, idempotencyKey?: string) =>
  http.post<Invitation>('/users/invite', body, { headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} });
