import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import { STAFF_ROLES, type LoginBody, type Me, type Role, type SignupBody } from '@vigie/core';
import * as authApi from '@/api/auth';
import type { AcceptInvitationBody } from '@/api/auth';
import { refreshSession } from '@/api/http';
import { session, type SessionEvent } from '@/api/session';

export const useAuthStore = defineStore('auth', () => {
  const user = ref<Me | null>(null);
  /** Why the last session ended without the user asking (shown on the login page). */
  const endReason = ref<'expired' | 'signed-out' | null>(null);

  const isAuthenticated = computed(() => user.value !== null);
  const role = computed<Role | null>(() => user.value?.role ?? null);
  const isStaff = computed(() => role.value !== null && STAFF_ROLES.includes(role.value));

  session.subscribe((event: SessionEvent) => {
    if (event.type === 'tokens') {
      user.value = event.tokens.user;
      endReason.value = null;
    } else {
      user.value = null;
      endReason.value = event.type;
    }
  });

  let restoring: Promise<void> | null = null;
  /** Once per page load: resumes the session from the stored tokens (the guard awaits it). */
  function restore(): Promise<void> {
    restoring ??= doRestore();
    return restoring;
  }

  async function doRestore(): Promise<void> {
    try {
      if (session.accessToken()) user.value = await authApi.getMe();
      else if (session.refreshToken()) await refreshSession(); // the tokens event sets the user
    } catch {
      // Unreachable server or refused tokens: the user logs in again.
      user.value = null;
    }
  }

  async function login(body: LoginBody): Promise<Me> {
    const tokens = await authApi.login(body);
    session.save(tokens);
    return tokens.user;
  }

  async function signup(body: SignupBody): Promise<Me> {
    const tokens = await authApi.signup(body);
    session.save(tokens);
    return tokens.user;
  }

  /** Sets the password of an invitation and logs in with the tokens it answers. */
  async function acceptInvitation(body: AcceptInvitationBody): Promise<Me> {
    const tokens = await authApi.acceptInvitation(body);
    session.save(tokens);
    return tokens.user;
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout(session.refreshToken());
    } catch {
      // Already expired or server unreachable: forgetting the tokens locally is what matters here.
    } finally {
      session.clear();
      user.value = null;
      endReason.value = null;
    }
  }

  return { user, endReason, isAuthenticated, role, isStaff, restore, login, signup, acceptInvitation, logout };
});
