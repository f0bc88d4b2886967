import type { Tokens } from '@vigie/core';

/**
 * Where the tokens live. The access token stays per tab (memory + sessionStorage, so a reload keeps it);
 * the refresh token is shared by the tabs in localStorage so a new tab or a restart resumes the session.
 */
const ACCESS_KEY = 'vigie.accessToken';
const REFRESH_KEY = 'vigie.refreshToken';

export type SessionEvent =
  | { type: 'tokens'; tokens: Tokens }
  /** The refresh token was refused: the user must log in again. */
  | { type: 'expired' }
  /** Another tab logged out (the shared refresh token disappeared). */
  | { type: 'signed-out' };

type Listener = (event: SessionEvent) => void;
const listeners = new Set<Listener>();
let accessToken: string | null = sessionStorage.getItem(ACCESS_KEY);

function emit(event: SessionEvent): void {
  for (const listener of listeners) listener(event);
}

export const session = {
  accessToken: (): string | null => accessToken,
  refreshToken: (): string | null => localStorage.getItem(REFRESH_KEY),

  save(tokens: Tokens): void {
    accessToken = tokens.accessToken;
    sessionStorage.setItem(ACCESS_KEY, tokens.accessToken);
    localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
    emit({ type: 'tokens', tokens });
  },

  clear(): void {
    accessToken = null;
    sessionStorage.removeItem(ACCESS_KEY);
    localStorage.removeItem(REFRESH_KEY);
  },

  expire(): void {
    session.clear();
    emit({ type: 'expired' });
  },

  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// A logout in another tab removes the shared refresh token: this tab follows.
window.addEventListener('storage', (event) => {
  if (event.key === REFRESH_KEY && event.newValue === null && accessToken !== null) {
    accessToken = null;
    sessionStorage.removeItem(ACCESS_KEY);
    emit({ type: 'signed-out' });
  }
});
