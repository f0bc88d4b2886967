import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteLocationRaw } from 'vue-router';
import type { Role } from '@vigie/core';
import { i18n } from '@/i18n';
import { useAuthStore } from '@/stores/auth';
import { routes } from './routes';
import './meta';

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});

export function homeFor(role: Role): RouteLocationRaw {
  return role === 'client' ? { name: 'portal' } : { name: 'dashboard' };
}

/** Only same-site paths: `?redirect=` must not send the user to another origin after login. */
export function safeRedirect(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : undefined;
}

function allows(to: RouteLocationNormalized, role: Role): boolean {
  return to.matched.every((record) => !record.meta.roles || record.meta.roles.includes(role));
}

router.beforeEach(async (to) => {
  const auth = useAuthStore();
  await auth.restore();
  const user = auth.user;
  if (to.meta.public) return to.meta.guestOnly && user ? homeFor(user.role) : true;
  if (!user) return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
  if (allows(to, user.role)) return true;
  // Each audience has its own space: clients the portal, staff the back office.
  if (user.role === 'client') return { name: 'portal' };
  if (to.matched.some((record) => record.meta.portal)) return { name: 'dashboard' };
  return { name: 'forbidden', query: { from: to.fullPath } };
});

export function updateTitle(route: RouteLocationNormalized = router.currentRoute.value): void {
  const key = route.meta.titleKey;
  document.title = key ? `${i18n.global.t(key)} · Vigie` : 'Vigie';
}

router.afterEach((to) => updateTitle(to));
