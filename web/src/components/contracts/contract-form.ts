import {
  BILLING_BASES,
  BILLING_PERIODS,
  CONTRACT_TRANSITIONS,
  type Contract,
  type ContractStatus,
  type ContractType,
  type HourBlockView,
  type LedgerEntry,
} from '@vigie/core';
import { centsToInput, parseMoneyToCents } from '@/utils/money';
import { minutesToHoursInput, optionalHours } from '@/utils/hours';

type BillingBasis = (typeof BILLING_BASES)[number];
type BillingPeriod = (typeof BILLING_PERIODS)[number];
export type ThresholdKind = 'percent' | 'minutes';

/** One threshold as typed: a percent of the live blocks, or hours left (sent as minutes). */
export interface ThresholdDraft {
  /** Stable v-for key. */
  key: number;
  kind: ThresholdKind;
  value: string;
}

/**
 * What the contract forms edit: amounts and durations as people type them (euros, hours), the terms of
 * every type side by side (only those of the chosen type are sent).
 */
export interface ContractDraft {
  clientId: string | null;
  name: string;
  type: ContractType;
  startDate: string;
  endDate: string;
  isDefault: boolean;
  notes: string;
  /** Overage rate (hour bank), rate beyond the included hours (subscription), the rate (time and material). */
  hourlyRate: string;
  hourBank: {
    roundingMinutes: number;
    minimumMinutes: number;
    overdraft: 'refuse' | 'allow';
    overdraftLimitHours: string;
    thresholds: ThresholdDraft[];
    usualPackHours: string;
    usualPackPrice: string;
  };
  subscription: {
    billingBasis: BillingBasis;
    unitPrice: string;
    billingPeriod: BillingPeriod;
    includedHours: string;
  };
}

let nextKey = 1;
export const blankThreshold = (kind: ThresholdKind = 'percent', value = ''): ThresholdDraft => ({ key: nextKey++, kind, value });

export function draftFromContract(c: Contract | null, locale: string, clientId: string | null = null): ContractDraft {
  const hb = c?.hourBank;
  const sub = c?.subscription;
  const money = (cents: number | null | undefined) => (cents === null || cents === undefined ? '' : centsToInput(cents, locale));
  const hours = (minutes: number | null | undefined) => (minutes === null || minutes === undefined ? '' : minutesToHoursInput(minutes, locale));
  return {
    clientId: c?.clientId ?? clientId,
    name: c?.name ?? '',
    type: c?.type ?? 'hour_bank',
    startDate: c?.startDate ?? '',
    endDate: c?.endDate ?? '',
    isDefault: c?.isDefault ?? false,
    notes: c?.notes ?? '',
    hourlyRate: money(c?.hourlyRateCents),
    hourBank: {
      roundingMinutes: hb?.roundingMinutes ?? 0,
      minimumMinutes: hb?.minimumMinutes ?? 0,
      overdraft: hb && hb.overdraftLimitMinutes !== null ? 'allow' : 'refuse',
      overdraftLimitHours: hours(hb?.overdraftLimitMinutes),
      thresholds: (hb?.thresholds ?? []).map((t) => blankThreshold(t.kind, t.kind === 'percent' ? String(t.value) : minutesToHoursInput(t.value, locale))),
      usualPackHours: hours(hb?.usualPackMinutes),
      usualPackPrice: money(hb?.usualPackPriceCents),
    },
    subscription: {
      billingBasis: sub?.billingBasis ?? 'per_machine',
      unitPrice: money(sub?.unitPriceCents),
      billingPeriod: sub?.billingPeriod ?? 'monthly',
      includedHours: hours(sub?.includedMinutes),
    },
  };
}

const blank = (text: string) => text.trim() === '';
/** Empty → null (optional), else the cents (NaN for what cannot be read: the schema says "invalid"). */
const optionalMoney = (text: string, locale: string) => (blank(text) ? null : parseMoneyToCents(text, locale));
/** Empty → undefined (required: the schema says "required"). */
const requiredMoney = (text: string, locale: string) => (blank(text) ? undefined : parseMoneyToCents(text, locale));
const requiredHours = (text: string) => optionalHours(text) ?? undefined;

export function prepareHourBank(d: ContractDraft, locale: string) {
  const hb = d.hourBank;
  return {
    roundingMinutes: Number(hb.roundingMinutes),
    minimumMinutes: Number(hb.minimumMinutes),
    overdraftLimitMinutes: hb.overdraft === 'allow' ? requiredHours(hb.overdraftLimitHours) : null,
    thresholds: hb.thresholds.map((t) => ({
      kind: t.kind,
      value: blank(t.value) ? undefined : t.kind === 'percent' ? Number(t.value.replace(',', '.')) : optionalHours(t.value),
    })),
    usualPackMinutes: optionalHours(hb.usualPackHours),
    usualPackPriceCents: optionalMoney(hb.usualPackPrice, locale),
  };
}

function prepareSubscription(d: ContractDraft, locale: string) {
  const sub = d.subscription;
  return {
    billingBasis: sub.billingBasis,
    unitPriceCents: requiredMoney(sub.unitPrice, locale),
    billingPeriod: sub.billingPeriod,
    includedMinutes: optionalHours(sub.includedHours),
  };
}

/** The body of POST /contracts: the common fields and the terms of the chosen type only. */
export function prepareCreate(d: ContractDraft, locale: string) {
  const common = {
    clientId: d.clientId ?? '',
    name: d.name,
    ...(d.startDate ? { startDate: d.startDate } : {}),
    endDate: d.endDate || null,
    isDefault: d.isDefault,
    ...(blank(d.notes) ? {} : { notes: d.notes }),
  };
  switch (d.type) {
    case 'hour_bank':
      return {
        ...common,
        type: d.type,
        hourlyRateCents: optionalMoney(d.hourlyRate, locale),
        hourBank: prepareHourBank(d, locale),
      };
    case 'subscription':
      return { ...common, type: d.type, hourlyRateCents: optionalMoney(d.hourlyRate, locale), subscription: prepareSubscription(d, locale) };
    case 'time_material':
      return { ...common, type: d.type, hourlyRateCents: requiredMoney(d.hourlyRate, locale) };
  }
}

/** The body of PATCH /contracts/:id for the edit dialog: what it shows, the terms of the contract's type. */
export function prepareUpdate(d: ContractDraft, locale: string) {
  return {
    name: d.name,
    endDate: d.endDate || null,
    isDefault: d.isDefault,
    notes: d.notes,
    hourlyRateCents: d.type === 'time_material' ? requiredMoney(d.hourlyRate, locale) : optionalMoney(d.hourlyRate, locale),
    ...(d.type === 'hour_bank' ? { hourBank: prepareHourBank(d, locale) } : {}),
    ...(d.type === 'subscription' ? { subscription: prepareSubscription(d, locale) } : {}),
  };
}

/** Body paths whose errors show on another model field (the model holds hours and euros). */
export const CONTRACT_ALIASES: Record<string, string> = {
  hourlyRateCents: 'hourlyRate',
  'hourBank.overdraftLimitMinutes': 'hourBank.overdraftLimitHours',
  'hourBank.usualPackMinutes': 'hourBank.usualPackHours',
  'hourBank.usualPackPriceCents': 'hourBank.usualPackPrice',
  'subscription.unitPriceCents': 'subscription.unitPrice',
  'subscription.includedMinutes': 'subscription.includedHours',
};

/** Paths the initial model does not have as leaves: each threshold's value and the list itself. */
export const CONTRACT_FIELDS = ['hourBank.thresholds', ...Array.from({ length: 10 }, (_, i) => `hourBank.thresholds.${i}.value`)];

/** Chip colours of the statuses and types, the same everywhere. */
export const CONTRACT_STATUS_COLOR: Record<ContractStatus, string> = { draft: 'grey-6', active: 'positive', suspended: 'orange-9', ended: 'blue-grey-8' };
export const CONTRACT_TYPE_ICON: Record<ContractType, string> = { hour_bank: 'hourglass_bottom', subscription: 'autorenew', time_material: 'schedule' };

/** The buttons of the contract page: one per status the current one may move to. */
export type ContractAction = 'activate' | 'suspend' | 'end';
const ACTION_TO: Record<ContractAction, ContractStatus> = { activate: 'active', suspend: 'suspended', end: 'ended' };
export const actionTarget = (action: ContractAction) => ACTION_TO[action];
export function allowedActions(status: ContractStatus): ContractAction[] {
  return (Object.keys(ACTION_TO) as ContractAction[]).filter((a) => CONTRACT_TRANSITIONS[status].includes(ACTION_TO[a]));
}

/** A threshold's level in minutes: a percent of the live blocks' capacity, or minutes left. */
export function thresholdLevel(t: { kind: ThresholdKind; value: number }, capacityMinutes: number | null): number | null {
  if (t.kind === 'minutes') return t.value;
  return capacityMinutes ? Math.floor((capacityMinutes * t.value) / 100) : null;
}

export type BlockState = 'active' | 'expired' | 'exhausted';
export function blockState(b: HourBlockView, now = new Date()): BlockState {
  if (b.expiresAt && new Date(b.expiresAt).getTime() <= now.getTime()) return 'expired';
  return b.remainingMinutes <= 0 ? 'exhausted' : 'active';
}

export const LEDGER_KIND_COLOR: Record<LedgerEntry['kind'], string> = {
  purchase: 'positive',
  consumption: 'primary',
  adjustment: 'purple-7',
  reversal: 'teal-7',
  expiry: 'grey-7',
};

/** Rounding and minimum choices; a contract's own value is kept among them. */
export const ROUNDING_CHOICES = [0, 5, 6, 10, 15, 30, 60];
export const MINIMUM_CHOICES = [0, 15, 30, 45, 60, 120];
