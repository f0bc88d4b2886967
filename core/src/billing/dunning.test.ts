import fc from 'fast-check';
import { addDays, dayNumber } from './calendar';
import { DEFAULT_DUNNING_STEPS, dunningSteps, isOverdue, type DunningKind } from './dunning';

const steps = DEFAULT_DUNNING_STEPS;
const due = '2027-01-31';

describe('dunning (examples)', () => {
  it('schedules the first reminder 7 days after the due date', () => {
    expect(dunningSteps(due, steps, '2027-01-20', null, [])).toEqual({
      status: 'scheduled',
      step: { offsetDays: 7, kind: 'reminder' },
      scheduledOn: '2027-02-07',
      sendOn: '2027-02-07',
      dueNow: false,
    });
    expect(dunningSteps(due, steps, '2027-02-07', null, [])).toMatchObject({ sendOn: '2027-02-07', dueNow: true });
  });

  it('walks the ladder in order and ends when all are sent', () => {
    expect(dunningSteps(due, steps, '2027-02-07', null, ['reminder'])).toMatchObject({ step: { kind: 'second_reminder' }, scheduledOn: '2027-02-15', dueNow: false });
    expect(dunningSteps(due, steps, '2027-02-20', null, ['reminder', 'second_reminder'])).toMatchObject({ step: { kind: 'formal_notice' }, scheduledOn: '2027-03-02' });
    expect(dunningSteps(due, steps, '2027-04-01', null, ['reminder', 'second_reminder', 'formal_notice'])).toEqual({ status: 'done', reason: 'all_sent' });
  });

  it('when late, sends the next step now rather than jumping to the last', () => {
    expect(dunningSteps(due, steps, '2027-03-10', null, [])).toMatchObject({ step: { kind: 'reminder' }, scheduledOn: '2027-02-07', sendOn: '2027-03-10', dueNow: true });
  });

  it('never goes back past the last step sent', () => {
    expect(dunningSteps(due, steps, '2027-02-20', null, ['second_reminder'])).toMatchObject({ step: { kind: 'formal_notice' } });
  });

  it('stops once paid', () => {
    expect(dunningSteps(due, steps, '2027-02-10', '2027-02-09', ['reminder'])).toEqual({ status: 'done', reason: 'paid' });
  });

  it('refuses a malformed schedule', () => {
    expect(() => dunningSteps(due, [{ offsetDays: 7, kind: 'reminder' }, { offsetDays: 7, kind: 'formal_notice' }], due, null, [])).toThrow(/increasing/);
    expect(() => dunningSteps(due, [{ offsetDays: 7, kind: 'reminder' }, { offsetDays: 9, kind: 'reminder' }], due, null, [])).toThrow(/twice/);
    expect(() => dunningSteps(due, [{ offsetDays: 7, kind: 'reminder' }], due, null, ['formal_notice'])).toThrow(/not in the schedule/);
  });

  it('knows when an invoice is overdue', () => {
    expect(isOverdue(due, due, null)).toBe(false);
    expect(isOverdue(due, '2027-02-01', null)).toBe(true);
    expect(isOverdue(due, '2027-02-01', '2027-01-30')).toBe(false);
  });
});

describe('dunning (properties)', () => {
  it('a workflow following the ladder sends every step once, in order, never before its date', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 6 }), (startDelay, delays) => {
        let now = addDays(due, startDelay - 10);
        const sent: DunningKind[] = [];
        for (let guard = 0; guard < 10; guard++) {
          const next = dunningSteps(due, steps, now, null, sent);
          if (next.status === 'done') break;
          expect(dayNumber(next.sendOn)).toBeGreaterThanOrEqual(dayNumber(now));
          expect(dayNumber(next.sendOn)).toBeGreaterThanOrEqual(dayNumber(next.scheduledOn));
          now = addDays(next.sendOn, delays[guard] ?? 0); // the worker may wake late
          sent.push(next.step.kind);
        }
        expect(sent).toEqual(steps.map((s) => s.kind));
      }),
    );
  });
});
