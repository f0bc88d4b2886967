import type { Page, PreBillingItem, PRE_BILLING_STATUSES } from '@vigie/core';
import type { ListParams } from '@/composables/use-cursor-list';
import { http } from './http';

export type PreBillingStatus = (typeof PRE_BILLING_STATUSES)[number];

export interface PreBillingListParams extends Partial<ListParams> {
  clientId?: string;
  status?: PreBillingStatus;
}

/**
 * Out-of-contract time waiting to be invoiced (admins and managers): one line per approved entry of a
 * closed ticket, valued at the contract's, the client's or the tenant's hourly rate.
 */
export const listPreBilling = (params: PreBillingListParams) => http.get<Page<PreBillingItem>>('/billing/pre-billing', { ...params });

export type { PreBillingItem };
