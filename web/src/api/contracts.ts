import type {
  AdjustmentBody,
  Burndown,
  BuyBlockBody,
  Contract,
  ContractListQuery,
  CreateContractBody,
  HourBlockView,
  LedgerEntry,
  LedgerQuery,
  Page,
  UpdateContractBody,
} from '@vigie/core';
import { http } from './http';

export type ContractListParams = Partial<ContractListQuery>;
export type LedgerParams = Partial<LedgerQuery>;

const id = (value: string) => encodeURIComponent(value);
const idempotent = (key?: string): { headers: Record<string, string> } => ({ headers: key ? { 'Idempotency-Key': key } : {} });

/** Staff see every contract; a client user only their own client's (the API scopes it). */
export const listContracts = (params: ContractListParams) => http.get<Page<Contract>>('/contracts', params);
export const getContract = (contractId: string) => http.get<Contract>(`/contracts/${id(contractId)}`);
/** Admins and managers; the key makes a double submit or a retry create one contract. */
export const createContract = (body: CreateContractBody, idempotencyKey?: string) => http.post<Contract>('/contracts', body, idempotent(idempotencyKey));
/** Terms, name, dates; `status` follows CONTRACT_TRANSITIONS (409 otherwise). */
export const updateContract = (contractId: string, body: UpdateContractBody) => http.patch<Contract>(`/contracts/${id(contractId)}`, body);

/** The hour bank's blocks, oldest first (the order they are consumed in). */
export const listBlocks = (contractId: string) => http.get<{ items: HourBlockView[] }>(`/contracts/${id(contractId)}/blocks`);
/** Sells a pack of hours (600 minutes = 10 h); it first pays back any overdraft. */
export const buyBlock = (contractId: string, body: BuyBlockBody, idempotencyKey?: string) =>
  http.post<HourBlockView>(`/contracts/${id(contractId)}/blocks`, body, idempotent(idempotencyKey));
/** A signed correction with a reason; 409 when it would go past the overdraft limit. */
export const adjustContract = (contractId: string, body: AdjustmentBody, idempotencyKey?: string) =>
  http.post<LedgerEntry>(`/contracts/${id(contractId)}/adjustments`, body, idempotent(idempotencyKey));
/** Every movement of the balance, newest first. */
export const listLedger = (contractId: string, params: LedgerParams) => http.get<Page<LedgerEntry>>(`/contracts/${id(contractId)}/ledger`, params);
/** The balance at the end of each day with movements, over the last `days` days. */
export const getBurndown = (contractId: string, days = 90) => http.get<Burndown>(`/contracts/${id(contractId)}/burndown`, { days });
