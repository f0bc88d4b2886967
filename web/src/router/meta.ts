import type { Role } from '@vigie/core';

declare module 'vue-router' {
  interface RouteMeta {
    /** Roles allowed on this route and its children; absent: any signed-in user. */
    roles?: readonly Role[];
    /** Reachable without a session (login, signup, not found). */
    public?: boolean;
    /** A signed-in user is sent home instead (login, signup). */
    guestOnly?: boolean;
    /** The client portal: staff are sent to the back office. */
    portal?: boolean;
    /** i18n key of the page title (document title). */
    titleKey?: string;
  }
}

export {};
