import type { TenantBranding, TenantSettings, UpdateTenantSettingsBody } from '@vigie/core';
import { http } from './http';

export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export const LOGO_MAX_BYTES = 512 * 1024;

export const getSettings = () => http.get<TenantSettings>('/settings');
export const updateSettings = (body: UpdateTenantSettingsBody) => http.patch<TenantSettings>('/settings', body);
/** The raw image bytes are the body; the API checks the real type from the bytes. */
export const uploadLogo = (file: Blob) => http.put<TenantSettings>('/settings/logo', file);
export const deleteLogo = () => http.delete<TenantSettings>('/settings/logo');
/** The logo needs the bearer token, so it cannot be a plain <img src>: it comes back as a Blob. */
export const fetchLogo = (url = '/settings/logo') => http.get<Blob>(url, undefined, { responseType: 'blob' });
/** Name and branding, readable by every role (the portal header). */
export const getBranding = () => http.get<TenantBranding>('/branding');
