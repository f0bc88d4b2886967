import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import {
  SLA_STATES,
  TICKET_PRIORITIES,
  TICKET_QUEUES,
  TICKET_STATUSES,
  TICKET_TRANSITIONS,
  type SlaState,
  type SlaTargetState,
  type Ticket,
  type TicketPriority,
  type TicketStatus,
  type TimeEntryStatus,
} from '@vigie/core';
import { useAuthStore } from '@/stores/auth';

/** Colours of the chips, the same in the list, the ticket page and the portal. */
export const TICKET_STATUS_COLOR: Record<TicketStatus, string> = {
  open: 'blue-7',
  in_progress: 'indigo-6',
  waiting: 'amber-9',
  resolved: 'positive',
  closed: 'grey-6',
};
export const TICKET_PRIORITY_COLOR: Record<TicketPriority, string> = { low: 'grey-6', normal: 'blue-grey-6', high: 'orange-9', critical: 'negative' };
export const TICKET_PRIORITY_ICON: Record<TicketPriority, string> = { low: 'south', normal: 'remove', high: 'north', critical: 'priority_high' };
export const SLA_STATE_COLOR: Record<SlaState, string> = { none: 'grey-5', ok: 'positive', warning: 'orange-9', breached: 'negative' };
export const SLA_TARGET_COLOR: Record<SlaTargetState, string> = {
  none: 'grey-5',
  running: 'positive',
  paused: 'blue-grey-5',
  warning: 'orange-9',
  breached: 'negative',
  met: 'positive',
  missed: 'negative',
};
export const TIME_STATUS_COLOR: Record<TimeEntryStatus, string> = { pending: 'amber-9', approved: 'positive', rejected: 'negative' };
export const MOVE_ICON: Record<TicketStatus, string> = {
  open: 'replay',
  in_progress: 'play_arrow',
  waiting: 'hourglass_empty',
  resolved: 'task_alt',
  closed: 'lock',
};

/** Buttons of the moves: the status colours, but closing is not greyed out like a disabled button. */
export const MOVE_COLOR: Record<TicketStatus, string> = { ...TICKET_STATUS_COLOR, closed: 'blue-grey-8' };

/** Moves that ask for the resolution note. */
export const needsNote = (status: TicketStatus) => status === 'resolved' || status === 'closed';

/** The statuses a ticket may move to from where it is (TICKET_TRANSITIONS, the API's own rule). */
export const allowedMoves = (status: TicketStatus): readonly TicketStatus[] => TICKET_TRANSITIONS[status];

/**
 * The deadline to watch on a ticket: the first response while it is awaited, then the resolution.
 * Targets already met, missed or without a deadline are not it.
 */
export function nextDeadline(ticket: Ticket): { target: 'firstResponse' | 'resolution'; dueAt: string; state: SlaTargetState } | null {
  const { firstResponse, resolution } = ticket.sla;
  const live = (state: SlaTargetState) => state === 'running' || state === 'warning' || state === 'breached' || state === 'paused';
  if (firstResponse.dueAt && live(firstResponse.state)) return { target: 'firstResponse', dueAt: firstResponse.dueAt, state: firstResponse.state };
  if (resolution.dueAt && live(resolution.state)) return { target: 'resolution', dueAt: resolution.dueAt, state: resolution.state };
  return null;
}

/** Options of the ticket selects in the interface language, and who may do what. */
export function useTicketOptions() {
  const { t } = useI18n();
  const auth = useAuthStore();
  return {
    statusOptions: computed(() => TICKET_STATUSES.map((value) => ({ value, label: t(`tickets.status.${value}`) }))),
    priorityOptions: computed(() => TICKET_PRIORITIES.map((value) => ({ value, label: t(`tickets.priority.${value}`) }))),
    queueOptions: computed(() => TICKET_QUEUES.map((value) => ({ value, label: t(`tickets.queue.${value}`) }))),
    slaOptions: computed(() => SLA_STATES.map((value) => ({ value, label: t(`tickets.slaState.${value}`) }))),
    /** Admins and managers approve time (the API refuses it to technicians). */
    canApprove: computed(() => auth.role === 'admin' || auth.role === 'manager'),
    /** Only admins may list the team (GET /users): others pick themselves or nobody. */
    canListStaff: computed(() => auth.role === 'admin'),
  };
}
