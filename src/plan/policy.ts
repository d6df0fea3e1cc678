import { POLICY_NAMES } from '../model/plan.ts';
import type { PolicyName } from '../model/plan.ts';
/**
 * Sync policies, after external-dns `plan/policy.go`: a named registry of tiny strategies, each answering one
 * question — may this class of step happen? What a policy refuses is not dropped silently: the plan reports it as
 * `blocked` with the policy's name, so `plan` shows what `sync` would do.
 *
 * Step classes:
 *   create  — a new object, or a namespace annotation that does not exist yet
 *   update  — an in-place change to an object we own, or to a namespace annotation we share
 *   removal — anything that takes address space away: delete, replace (delete then create), drain of a pool
 *             that is leaving, removing our values from a namespace annotation
 *   note    — blocked / invalid / unmanaged reports; never filtered
 */

export type StepClass = 'create' | 'update' | 'removal' | 'note';

export interface Policy {
  readonly name: PolicyName;
  /** For messages: `policy upsert-only (never deletes)`. */
  readonly description: string;
  allows(step: StepClass): boolean;
}

export const POLICIES: Readonly<Record<PolicyName, Policy>> = {
  sync: {
    name: 'sync',
    description: 'creates, updates and deletes',
    allows: () => true,
  },
  'upsert-only': {
    name: 'upsert-only',
    description: 'creates and updates, never deletes, drains or replaces',
    allows: step => step !== 'removal',
  },
  'create-only': {
    name: 'create-only',
    description: 'only creates',
    allows: step => step === 'create' || step === 'note',
  },
};

export function isPolicyName(s: string): s is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(s);
}
