/**
 * `netbox bootstrap`: makes a NetBox hold what DESIGN.md §4 needs (bootstrap-want.ts), idempotently.
 *
 * planBootstrap is pure: wanted objects + what NetBox holds → steps. runBootstrap reads NetBox, plans, and runs
 * the steps in dependency order (roles, tags, choice sets, then the custom fields that use them), going on past a
 * failed step. It never deletes anything and never edits an existing object except to add object types a custom
 * field lacks or choices a choice set lacks; anything else that differs is reported as a conflict, left as is.
 */
import {
  describeFieldErrors,
  NetBoxAuthError,
  NetBoxUnavailableError,
  NetBoxValidationError,
} from '../client/errors.ts';
import { ENDPOINTS, PERMISSIONS, planBootstrap } from './plan.ts';
import type { BootstrapHave, BootstrapStep, BootstrapThing } from './plan.ts';
import type { BootstrapWant } from './want.ts';
import type { NbCustomField, NbCustomFieldChoiceSet, NbRole, NbTag } from '../../model/netbox.ts';

export { BOOTSTRAP_DEFAULTS, wantedObjects } from './want.ts';
export type { BootstrapCustomFieldNames, BootstrapPlan, BootstrapWant } from './want.ts';
export { planBootstrap } from './plan.ts';
export type { BootstrapHave, BootstrapStep, BootstrapThing } from './plan.ts';

/** What runBootstrap needs from NetBox; NetBoxClient satisfies it. */
export interface BootstrapApi {
  listRoles(): Promise<NbRole[]>;
  listTags(): Promise<NbTag[]>;
  listCustomFieldChoiceSets(): Promise<NbCustomFieldChoiceSet[]>;
  listCustomFields(): Promise<NbCustomField[]>;
  create<T>(endpoint: string, body: object): Promise<T>;
  update<T>(endpoint: string, id: number, patch: object): Promise<T>;
}

export type StepStatus = 'created' | 'updated' | 'unchanged' | 'would-create' | 'would-update' | 'failed' | 'conflict';

export interface StepResult {
  thing: BootstrapThing;
  name: string;
  status: StepStatus;
  id?: number;
  /** What was (or would be) changed, or a note on an object left as is. */
  detail?: string;
  /** Why the step failed or conflicts. */
  reason?: string;
  hint?: string;
}

export interface BootstrapReport {
  dryRun: boolean;
  /** Set when NetBox could not be read: nothing was planned or written. */
  readError?: { reason: string; hint: string };
  results: StepResult[];
  counts: Record<StepStatus, number>;
  /** Something was (or in a dry run would be) created or updated. */
  changed: boolean;
  /** No read error, failure or conflict. */
  ok: boolean;
}

export async function runBootstrap(
  api: BootstrapApi,
  want: BootstrapWant,
  opts: { dryRun?: boolean } = {},
): Promise<BootstrapReport> {
  const dryRun = opts.dryRun === true;
  const have = await readHave(api);
  if ('error' in have) return report(dryRun, [], have.error);
  const run: RunState = { api, dryRun, setIds: new Map(), unavailable: undefined };
  const results: StepResult[] = [];
  // One at a time, in plan order: a select field needs the id of the choice set created before it.
  for (const step of planBootstrap(want, have.value)) results.push(await runStep(step, run));
  return report(dryRun, results);
}

interface RunState {
  api: BootstrapApi;
  dryRun: boolean;
  /** Choice sets created in this run, by name. */
  setIds: Map<string, number>;
  /** Once NetBox is unreachable, later writes are not attempted (each would wait for its own timeout). */
  unavailable: NetBoxUnavailableError | undefined;
}

async function runStep(step: BootstrapStep, run: RunState): Promise<StepResult> {
  const base = { thing: step.thing, name: step.name };
  switch (step.action) {
    case 'ok':
      return { ...base, status: 'unchanged', id: step.id, ...(step.note ? { detail: step.note } : {}) };
    case 'conflict':
      return { ...base, status: 'conflict', id: step.id, reason: step.reason, hint: step.hint };
    case 'update':
      if (run.dryRun) return { ...base, status: 'would-update', id: step.id, detail: step.change };
      if (run.unavailable) return { ...base, status: 'failed', ...notAttempted(run.unavailable) };
      try {
        await run.api.update(ENDPOINTS[step.thing], step.id, step.patch);
        return { ...base, status: 'updated', id: step.id, detail: step.change };
      } catch (err) {
        if (err instanceof NetBoxUnavailableError) run.unavailable = err;
        return { ...base, status: 'failed', ...failure(err, 'change', step) };
      }
    case 'create':
      return runCreate(step, run);
  }
}

async function runCreate(step: Extract<BootstrapStep, { action: 'create' }>, run: RunState): Promise<StepResult> {
  const base = { thing: step.thing, name: step.name };
  if (!run.dryRun && run.unavailable) return { ...base, status: 'failed', ...notAttempted(run.unavailable) };
  const body = { ...step.body };
  if (step.choiceSet) {
    const id = step.choiceSet.id ?? run.setIds.get(step.choiceSet.name);
    if (id !== undefined) body['choice_set'] = id;
    else if (!run.dryRun) {
      // Its choice set failed (or NetBox returned no id); in a dry run the set is only about to be created.
      const reason = `not created: it needs choice set ${step.choiceSet.name}, which could not be created`;
      return { ...base, status: 'failed', reason, hint: 'fix the choice set failure above and run again' };
    }
  }
  if (run.dryRun) return { ...base, status: 'would-create' };
  try {
    const id = idOf(await run.api.create<unknown>(ENDPOINTS[step.thing], body));
    if (step.thing === 'choice set' && id !== undefined) run.setIds.set(step.name, id);
    return { ...base, status: 'created', ...(id === undefined ? {} : { id }) };
  } catch (err) {
    if (err instanceof NetBoxUnavailableError) run.unavailable = err;
    return { ...base, status: 'failed', ...failure(err, 'create', step) };
  }
}

type Read = { value: BootstrapHave } | { error: { reason: string; hint: string } };

/** Names the listing that failed; caught right below, never leaves this module. */
class ReadFailure extends Error {
  readonly what: string;
  readonly error: unknown;
  constructor(what: string, error: unknown) {
    super(`cannot read ${what} from NetBox: ${messageOf(error)}`);
    this.what = what;
    this.error = error;
  }
}

async function readHave(api: BootstrapApi): Promise<Read> {
  const read = <T>(what: string, list: Promise<T>): Promise<T> =>
    list.catch((err: unknown) => Promise.reject(new ReadFailure(what, err)));
  try {
    const [roles, tags, choiceSets, customFields] = await Promise.all([
      read('roles', api.listRoles()),
      read('tags', api.listTags()),
      read('custom field choice sets', api.listCustomFieldChoiceSets()),
      read('custom fields', api.listCustomFields()),
    ]);
    return { value: { roles, tags, choiceSets, customFields } };
  } catch (err) {
    if (!(err instanceof ReadFailure)) throw err;
    const hint =
      err.error instanceof NetBoxAuthError
        ? 'check the token (--token-env / --token-file) and that its user may view roles, tags and custom fields'
        : err.error instanceof NetBoxUnavailableError
          ? 'check --netbox-url and that NetBox is up, then run again'
          : 'nothing was changed; run again once NetBox answers the listing';
    return { error: { reason: err.message, hint } };
  }
}

function failure(err: unknown, verb: 'create' | 'change', step: { thing: BootstrapThing; name: string }) {
  const what = `${step.thing} ${step.name}`;
  if (err instanceof NetBoxAuthError) {
    const permission = PERMISSIONS[step.thing].replace('%', verb === 'create' ? 'add' : 'change');
    return {
      reason: `the token cannot ${verb} ${what} (NetBox answered ${err.status ?? 403}: read-only token or missing permission ${permission})`,
      hint: `use a write-enabled token whose user holds ${permission}, or ${verb} it by hand`,
    };
  }
  if (err instanceof NetBoxValidationError) {
    const said = describeFieldErrors(err.fieldErrors) || err.detail || err.message;
    return {
      reason: `NetBox rejected ${what}: ${said}`,
      hint: 'fix the conflicting object in NetBox or the name in the config',
    };
  }
  return { reason: `cannot ${verb} ${what}: ${messageOf(err)}` };
}

function notAttempted(err: NetBoxUnavailableError): { reason: string; hint: string } {
  return {
    reason: `not attempted: NetBox became unavailable (${err.message})`,
    hint: 'run again once NetBox answers; steps already done are skipped',
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function idOf(created: unknown): number | undefined {
  if (typeof created !== 'object' || created === null || !('id' in created)) return undefined;
  return typeof created.id === 'number' ? created.id : undefined;
}

function report(dryRun: boolean, results: StepResult[], readError?: { reason: string; hint: string }): BootstrapReport {
  const counts: Record<StepStatus, number> = {
    created: 0,
    updated: 0,
    unchanged: 0,
    'would-create': 0,
    'would-update': 0,
    failed: 0,
    conflict: 0,
  };
  for (const r of results) counts[r.status]++;
  const changed = counts.created + counts.updated + counts['would-create'] + counts['would-update'] > 0;
  const ok = readError === undefined && counts.failed === 0 && counts.conflict === 0;
  return { dryRun, ...(readError ? { readError } : {}), results, counts, changed, ok };
}
