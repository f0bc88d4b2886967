import { ApiError } from '@/api/http';
import { formatHours } from '@/utils/hours';
import { i18n } from './index';

/**
 * The API words its problems in English for developers. Those a user can meet are shown in their language,
 * and some belong next to a field. Matching on the detail text is a stopgap until the API sends stable codes;
 * an unknown detail is shown as is.
 */
const KNOWN: { match: RegExp; key: string; path?: string; params?: (m: RegExpExecArray) => Record<string, string> }[] = [
  { match: /e-mail already exists/i, key: 'problems.emailTaken', path: 'email' },
  { match: /at least one active admin/i, key: 'problems.lastAdmin' },
  { match: /cannot disable your own/i, key: 'problems.disableSelf' },
  { match: /cannot delete your own/i, key: 'problems.deleteSelf' },
  { match: /staff account cannot become a client/i, key: 'problems.staffToClient', path: 'role' },
  { match: /client user cannot become staff/i, key: 'problems.clientToStaff', path: 'role' },
  { match: /not a PNG, JPEG or WebP/i, key: 'problems.notAnImage' },
  { match: /^the file is image\//i, key: 'problems.wrongImageType' },
  // CRM
  { match: /^client "(.+)" \(.*\) already has this SIREN\/SIRET/i, key: 'problems.duplicateClient', params: (m) => ({ name: m[1]! }) },
  { match: /kind of file is not accepted/i, key: 'problems.documentType' },
  { match: /^the file is not valid CSV/i, key: 'problems.csvInvalid' },
  { match: /^the file is empty/i, key: 'problems.csvEmpty' },
  { match: /^unknown columns: (.+)$/i, key: 'problems.csvUnknownColumns', params: (m) => ({ columns: m[1]! }) },
  { match: /"name" \(raison sociale\) column is required/i, key: 'problems.csvNoName' },
  { match: /at most 5 000 rows/i, key: 'problems.csvTooManyRows' },
  { match: /^the file has (\d+) error/i, key: 'problems.csvHasErrors', params: (m) => ({ count: m[1]! }) },
  // Pipeline
  { match: /already (won|lost)$/i, key: 'problems.opportunityClosed' },
  { match: /lost opportunity needs a reason/i, key: 'problems.lostReason', path: 'lostReason' },
  { match: /new opportunity starts in an open stage/i, key: 'problems.openStageOnly', path: 'stageId' },
  { match: /move this stage.s opportunities first/i, key: 'problems.stageNotEmpty' },
  { match: /won and lost stages cannot be removed/i, key: 'problems.terminalStage' },
  { match: /ownerId is not an active staff user/i, key: 'problems.unknownOwner', path: 'ownerId' },
  // Contracts and hour banks
  {
    match: /balance would go below [−-]?(\d+) minutes/i,
    key: 'problems.overdraftLimit',
    path: 'minutes',
    params: (m) => ({ limit: formatHours(Number(m[1]), i18n.global.locale.value) }),
  },
  { match: /balance is already below this overdraft limit/i, key: 'problems.overdraftBelow', path: 'hourBank.overdraftLimitMinutes' },
  {
    match: /^a (draft|active|suspended|ended) contract cannot become (draft|active|suspended|ended)/i,
    key: 'problems.contractTransition',
    params: (m) => ({ from: i18n.global.t(`contracts.status.${m[1]!}`), to: i18n.global.t(`contracts.status.${m[2]!}`) }),
  },
  { match: /ended contract cannot change|^the contract has ended/i, key: 'problems.contractEnded' },
  { match: /contract has no hour bank/i, key: 'problems.notHourBank' },
  // Accepting a quote
  { match: /renewal sells its pack on the contract it renews/i, key: 'problems.renewalNoContract', path: 'contract' },
  { match: /renewed contract has ended/i, key: 'problems.renewedContractEnded' },
  // Tickets
  { match: /client user chooses only the subject/i, key: 'tickets.problems.portalFields' },
  { match: /^clientId: unknown client/i, key: 'tickets.problems.unknownClient', path: 'clientId' },
  { match: /^contactId: not a contact of this client/i, key: 'tickets.problems.notClientContact', path: 'contactId' },
  { match: /^contractId: not a contract of this client/i, key: 'tickets.problems.notClientContract', path: 'contractId' },
  { match: /^contractId: this contract has ended/i, key: 'tickets.problems.contractEnded', path: 'contractId' },
  { match: /closed ticket cannot change/i, key: 'tickets.problems.closedTicket' },
  { match: /only a ticket in triage can move/i, key: 'tickets.problems.triageOnly', path: 'clientId' },
  { match: /^(assigneeId|technicianId): unknown staff user|technicianId is not an active staff user/i, key: 'tickets.problems.unknownStaff', path: 'assigneeId' },
  {
    match: /^a (open|in_progress|waiting|resolved|closed) ticket cannot become (open|in_progress|waiting|resolved|closed)/i,
    key: 'tickets.problems.transition',
    params: (m) => ({ from: i18n.global.t(`tickets.status.${m[1]!}`), to: i18n.global.t(`tickets.status.${m[2]!}`) }),
  },
  { match: /resolution note is required/i, key: 'tickets.problems.noteRequired', path: 'note' },
  { match: /client user may only reopen/i, key: 'tickets.problems.clientReopenOnly' },
  { match: /closed ticket takes no more replies/i, key: 'tickets.problems.closedNoReply' },
  { match: /client user writes public replies only/i, key: 'tickets.problems.clientPublicOnly' },
  { match: /closed ticket takes no more attachments/i, key: 'tickets.problems.closedNoAttachment' },
  { match: /already have a view with this name/i, key: 'tickets.problems.viewNameTaken', path: 'name' },
  // Teams
  { match: /^teamId: unknown team/i, key: 'tickets.problems.unknownTeam', path: 'teamId' },
  { match: /team with this name already exists/i, key: 'tickets.problems.teamNameTaken', path: 'name' },
  { match: /memberIds has users who are not active staff/i, key: 'tickets.problems.teamMembers', path: 'memberIds' },
  // Time entries and the timer
  { match: /^ticket (\S+) is closed; no more time/i, key: 'tickets.problems.closedNoTime', params: (m) => ({ number: m[1]! }) },
  { match: /technician records their own time only/i, key: 'tickets.problems.ownTimeOnly' },
  {
    match: /^the entry is (?:already )?(pending|approved|rejected)/i,
    key: 'tickets.problems.entryDecided',
    params: (m) => ({ status: i18n.global.t(`tickets.timeline.timeState.${m[1]!}`) }),
  },
  { match: /^no timer is running/i, key: 'tickets.problems.noTimer' },
  { match: /timer is already running on ticket (\S+?);/i, key: 'tickets.problems.timerRunning', params: (m) => ({ number: m[1]! }) },
  { match: /timer was just started elsewhere/i, key: 'tickets.problems.timerRace' },
  { match: /^the hour bank refused: (.+)$/i, key: 'tickets.problems.hourBankRefused', params: (m) => ({ reason: m[1]! }) },
  { match: /already invoiced; issue a credit note/i, key: 'tickets.problems.alreadyInvoiced' },
  // Billing
  { match: /is issued: only a credit note can correct it|is issued and is kept; correct it with a credit note/i, key: 'billing.problems.issued' },
  { match: /only lines with the same VAT rate can be merged/i, key: 'billing.problems.sameVat' },
  { match: /nothing is left to credit/i, key: 'billing.problems.nothingToCredit' },
  {
    match: /^line (\d+): only ([\d.]+) can still be credited \(asked ([\d.]+)\)/i,
    key: 'billing.problems.creditRemaining',
    params: (m) => ({ line: m[1]!, remaining: localNumber(m[2]!), asked: localNumber(m[3]!) }),
  },
  {
    match: /^the credit \(([\d.]+)\) exceeds what is left to pay \(([\d.]+)\)/i,
    key: 'billing.problems.creditExceeds',
    params: (m) => ({ credit: localNumber(m[1]!), balance: localNumber(m[2]!) }),
  },
  { match: /an invoice named is not an open invoice/i, key: 'billing.problems.notOpenInvoice', path: 'invoiceIds' },
  { match: /this payment was already recorded/i, key: 'billing.problems.alreadyRecorded' },
  { match: /an invoice must total more than zero/i, key: 'billing.problems.zeroTotal' },
  // Online payment
  { match: /online payment is not configured/i, key: 'billing.problems.stripeOff' },
  { match: /is settled: nothing is owed/i, key: 'billing.problems.nothingOwed' },
  { match: /is a credit note: there is nothing to pay/i, key: 'billing.problems.creditNoteNoPay' },
  { match: /a draft cannot be paid/i, key: 'billing.problems.draftNoPay' },
  { match: /^Stripe did not make the payment link: (.+)$/i, key: 'billing.problems.stripeFailed', params: (m) => ({ reason: m[1]! }) },
  // Accounting exports
  { match: /company has no SIREN/i, key: 'billing.exports.noSiren' },
  { match: /^(\S+) cannot encode (.+): write the file as UTF-8/i, key: 'billing.exports.cannotEncode', params: (m) => ({ charset: m[1]!, chars: m[2]! }) },
  // Invoice template
  { match: /must be an OpenDocument text file \(\.odt\) \(it is ([^)]+)\)/i, key: 'billing.template.otherType', params: (m) => ({ type: m[1]! }) },
  { match: /must be an OpenDocument text file \(\.odt\)/i, key: 'billing.template.notOdt' },
  { match: /invoice template cannot be rendered: ([\s\S]+)$/i, key: 'billing.template.notRendered', params: (m) => ({ reason: m[1]! }) },
  { match: /send the \.odt file as the request body/i, key: 'billing.template.empty' },
  // Support settings
  { match: /support address is used by another organisation/i, key: 'supportSettings.problems.addressTaken', path: 'supportEmail' },
  { match: /always has one default SLA policy/i, key: 'supportSettings.problems.defaultRequired', path: 'isDefault' },
];

export interface KnownProblem {
  message: string;
  path?: string;
}

export function knownProblem(err: ApiError): KnownProblem | undefined {
  const detail = err.problem.detail ?? '';
  const hit = KNOWN.find((k) => k.match.test(detail));
  if (!hit) return undefined;
  const params = hit.params?.(hit.match.exec(detail)!) ?? {};
  return { message: i18n.global.t(hit.key, params), path: hit.path };
}

/** A number the API wrote in English ("2.5") in the interface language ("2,5"). */
function localNumber(text: string): string {
  return Number(text).toLocaleString(i18n.global.locale.value);
}

const BY_STATUS: Record<number, string> = {
  0: 'errors.network',
  400: 'errors.badRequest',
  401: 'errors.unauthenticated',
  403: 'errors.forbidden',
  404: 'errors.notFound',
  409: 'errors.conflict',
  413: 'errors.tooLarge',
  429: 'errors.rateLimited',
  503: 'errors.unavailable',
};

/** One sentence for a person, whatever was thrown; server errors carry the request id for support. */
export function errorMessage(err: unknown): string {
  const { t } = i18n.global;
  if (!(err instanceof ApiError)) return t('errors.server');
  const known = knownProblem(err);
  if (known) return known.message;
  const base = t(BY_STATUS[err.status] ?? 'errors.server');
  // A conflict's detail says which rule was hit: more useful than the generic sentence alone.
  if (err.status === 409 && err.problem.detail) return `${base} (${err.problem.detail})`;
  if (err.status >= 500 && err.problem.requestId) return `${base} ${t('errors.reference', { id: err.problem.requestId })}`;
  return base;
}
