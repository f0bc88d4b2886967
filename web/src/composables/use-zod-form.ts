import { reactive, ref, watch } from 'vue';
import type { z } from 'zod';
import { ApiError } from '@/api/http';
import { errorMessage, knownProblem } from '@/i18n/problems';
import { issueMessage, serverFieldMessage } from '@/i18n/validation';
import { getPath, leafPaths } from '@/utils/paths';

export interface ZodFormOptions<M> {
  /** Turns the editable model into the request body (drop empty optional fields, add derived ones). */
  prepare?: (model: M) => unknown;
  /** Extra paths that errors may be shown on (by default: the leaves of the initial model). */
  fields?: string[];
  /** Form-specific wording by HTTP status (e.g. 401 on the login form means wrong credentials). */
  statusMessages?: Partial<Record<number, () => string>>;
  /**
   * Body paths shown on another model field: the model holds what people type (an amount in euros), the
   * body what the API takes (`amountCents`), so `{ amountCents: 'amount' }` puts its errors on the input.
   */
  aliases?: Record<string, string>;
}

/**
 * A form bound to a schema of @vigie/core: the same rules on both sides of the wire.
 *
 * Convention (every field): `<q-input v-model="form.model.email" v-bind="form.field('email')" :label="t(...)" />`
 * — `field(path)` gives Quasar's `error` / `error-message` for that dotted path. Errors the API sends for
 * paths no field shows go to `formError`, shown by <FormBanner>.
 */
export function useZodForm<S extends z.ZodType, M extends object>(schema: S, initial: () => M, options: ZodFormOptions<M> = {}) {
  const model = reactive(initial()) as M;
  const errors = ref<Record<string, string>>({});
  const formError = ref<string | null>(null);
  const submitting = ref(false);
  const knownPaths = new Set([...leafPaths(initial()), ...(options.fields ?? [])]);
  /** Value of each field when its error was set: editing the field clears its error. */
  let erroredValues: Record<string, unknown> = {};

  const prepare = () => (options.prepare ? options.prepare(model) : model);
  /** The model field that shows errors of a body path ('' when none does). */
  const targetOf = (path: string) => {
    const target = options.aliases?.[path] ?? path;
    return knownPaths.has(target) ? target : '';
  };

  function setErrors(next: Record<string, string>): void {
    errors.value = next;
    erroredValues = Object.fromEntries(Object.keys(next).map((path) => [path, getPath(model, path)]));
  }

  watch(
    () => model,
    () => {
      const still = Object.entries(errors.value).filter(([path]) => getPath(model, path) === erroredValues[path]);
      if (still.length !== Object.keys(errors.value).length) errors.value = Object.fromEntries(still);
    },
    { deep: true },
  );

  function clearErrors(): void {
    setErrors({});
    formError.value = null;
  }

  /** Checks the model with the schema; returns the parsed body, or undefined with `errors` filled. */
  function validate(): z.output<S> | undefined {
    const body = prepare();
    const result = schema.safeParse(body);
    if (result.success) {
      clearErrors();
      return result.data;
    }
    const next: Record<string, string> = {};
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.');
      const target = targetOf(path);
      if (target && !next[target]) next[target] = issueMessage(issue, path, getPath(body, path));
      else if (!target) formError.value = issueMessage(issue, path, getPath(body, path));
    }
    setErrors(next);
    return undefined;
  }

  /** Shows an API failure: field errors next to their fields, the rest in the banner. */
  function applyProblem(err: unknown): void {
    if (!(err instanceof ApiError)) {
      formError.value = errorMessage(err);
      return;
    }
    const special = options.statusMessages?.[err.status];
    if (special) {
      setErrors({});
      formError.value = special();
      return;
    }
    const next: Record<string, string> = {};
    const known = knownProblem(err);
    if (known?.path && targetOf(known.path)) next[targetOf(known.path)] = known.message;
    const unplaced: string[] = [];
    for (const fe of err.fieldErrors) {
      const target = targetOf(fe.path);
      if (target) next[target] ??= serverFieldMessage(fe.path, fe.code, fe.message);
      else unplaced.push(fe.path ? `${fe.path} : ${fe.message}` : fe.message);
    }
    setErrors(next);
    const placedAll = Object.keys(next).length > 0 && unplaced.length === 0;
    formError.value = placedAll ? null : [errorMessage(err), ...unplaced].join(' — ');
  }

  /** validate → action → errors on failure; true when the action succeeded. */
  async function submit(action: (body: z.output<S>) => Promise<unknown>): Promise<boolean> {
    if (submitting.value) return false; // a double Enter must not send twice
    formError.value = null;
    const body = validate();
    if (body === undefined) return false;
    submitting.value = true;
    try {
      await action(body);
      return true;
    } catch (err) {
      applyProblem(err);
      return false;
    } finally {
      submitting.value = false;
    }
  }

  function reset(values: M = initial()): void {
    Object.assign(model, values);
    clearErrors();
  }

  function field(path: string) {
    const message = errors.value[path];
    return { error: message !== undefined, errorMessage: message, name: path };
  }

  /**
   * The same for a q-select: without `name`, for which Quasar renders a hidden native <select> (meant for
   * native form posts, which this app never does) that screen-reader checks see as an unlabelled field.
   */
  function selectField(path: string) {
    const { name: _name, ...binding } = field(path);
    return binding;
  }

  return { model, errors, formError, submitting, validate, applyProblem, submit, reset, field, selectField };
}
