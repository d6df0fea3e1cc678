/**
 * Pure planning of `netbox bootstrap`: what DESIGN.md §4 needs (bootstrap-want.ts) against what NetBox holds →
 * steps in the order they must run (roles, tags, choice sets, then the custom fields that use them).
 *
 * Existing objects are never changed except to add object types a custom field lacks or choices its choice set
 * lacks; a type or slug that differs is a conflict, reported and left alone. Nothing is ever deleted.
 */
import type { BootstrapWant, WantedChoiceSet, WantedCustomField } from './want.ts';
import type { NbCustomField, NbCustomFieldChoiceSet, NbRole, NbTag } from '../../model/netbox.ts';

/** What NetBox holds now (complete listings). */
export interface BootstrapHave {
  roles: NbRole[];
  tags: NbTag[];
  choiceSets: NbCustomFieldChoiceSet[];
  customFields: NbCustomField[];
}

export type BootstrapThing = 'role' | 'tag' | 'choice set' | 'custom field';

export const ENDPOINTS = {
  role: 'ipam/roles',
  tag: 'extras/tags',
  'choice set': 'extras/custom-field-choice-sets',
  'custom field': 'extras/custom-fields',
} as const satisfies Record<BootstrapThing, string>;

/** NetBox permission names, for the message a 403 gets. */
export const PERMISSIONS: Record<BootstrapThing, string> = {
  role: 'ipam.%_role',
  tag: 'extras.%_tag',
  'choice set': 'extras.%_customfieldchoiceset',
  'custom field': 'extras.%_customfield',
};

export type BootstrapStep =
  | {
      action: 'create';
      thing: BootstrapThing;
      name: string;
      body: Record<string, unknown>;
      /** A select field's choice set: its id when it exists, else created by an earlier step of this run. */
      choiceSet?: { name: string; id?: number };
    }
  | { action: 'update'; thing: 'custom field' | 'choice set'; name: string; id: number; patch: object; change: string }
  | { action: 'ok'; thing: BootstrapThing; name: string; id: number; note?: string }
  | { action: 'conflict'; thing: BootstrapThing; name: string; id: number; reason: string; hint: string };

/** The steps that make `have` hold `want`, in the order they must run. */
export function planBootstrap(want: BootstrapWant, have: BootstrapHave): BootstrapStep[] {
  return [
    ...want.roles.map(r => planNamed('role', r, have.roles)),
    ...want.tags.map(t => planNamed('tag', t, have.tags)),
    ...planChoiceSets(want, have),
    ...want.customFields.map(f => planCustomField(f, have)),
  ];
}

/** Roles and tags match by slug; a different object holding the name would make the create fail. */
function planNamed(
  thing: 'role' | 'tag',
  want: { name: string; slug: string },
  have: readonly { id: number; name: string; slug: string }[],
): BootstrapStep {
  const bySlug = have.find(h => h.slug === want.slug);
  if (bySlug) return { action: 'ok', thing, name: want.slug, id: bySlug.id };
  const byName = have.find(h => h.name === want.name);
  if (byName) {
    return {
      action: 'conflict',
      thing,
      name: want.slug,
      id: byName.id,
      reason: `a ${thing} named "${byName.name}" exists with slug "${byName.slug}", so one with slug "${want.slug}" cannot be created`,
      hint: `use slug "${byName.slug}" in the config, or rename that ${thing} in NetBox`,
    };
  }
  return { action: 'create', thing, name: want.slug, body: { ...want } };
}

/**
 * A select field that exists keeps the choice set it has (maybe one a person made): that set gets the missing
 * kinds. Our own set is only needed (created or completed) for select fields still to be created.
 */
function planChoiceSets(want: BootstrapWant, have: BootstrapHave): BootstrapStep[] {
  const steps = new Map<string, BootstrapStep>();
  for (const field of want.customFields) {
    const wanted = want.choiceSets.find(s => s.name === field.choiceSet);
    if (!wanted) continue;
    const existing = have.customFields.find(f => f.name === field.name);
    if (existing === undefined) {
      const set = have.choiceSets.find(s => s.name === wanted.name);
      if (!steps.has(wanted.name)) steps.set(wanted.name, set ? completeChoices(set, wanted) : createSet(wanted));
      continue;
    }
    const usedId = typeOf(existing) === 'select' ? existing.choice_set?.id : undefined;
    const used = have.choiceSets.find(s => s.id === usedId);
    if (used && !steps.has(used.name)) steps.set(used.name, completeChoices(used, wanted));
  }
  return [...steps.values()];
}

function createSet(want: WantedChoiceSet): BootstrapStep {
  return { action: 'create', thing: 'choice set', name: want.name, body: { ...want } };
}

function completeChoices(set: NbCustomFieldChoiceSet, want: WantedChoiceSet): BootstrapStep {
  const present = set.extra_choices ?? [];
  const values = new Set(present.map(([value]) => value));
  const missing = want.extra_choices.filter(([value]) => !values.has(value));
  if (missing.length === 0) return { action: 'ok', thing: 'choice set', name: set.name, id: set.id };
  return {
    action: 'update',
    thing: 'choice set',
    name: set.name,
    id: set.id,
    patch: { extra_choices: [...present, ...missing] },
    change: `add choices ${missing.map(([value]) => value).join(', ')}`,
  };
}

function planCustomField(want: WantedCustomField, have: BootstrapHave): BootstrapStep {
  const existing = have.customFields.find(f => f.name === want.name);
  if (existing === undefined) {
    const { accepts: _accepts, choiceSet, ...body } = want;
    const step: BootstrapStep = { action: 'create', thing: 'custom field', name: want.name, body };
    if (choiceSet !== undefined) {
      const set = have.choiceSets.find(s => s.name === choiceSet);
      step.choiceSet = set ? { name: choiceSet, id: set.id } : { name: choiceSet };
    }
    return step;
  }
  const type = typeOf(existing);
  if (!want.accepts.includes(type)) {
    return {
      action: 'conflict',
      thing: 'custom field',
      name: want.name,
      id: existing.id,
      reason: `exists with type ${type}, but netbox-ippool-sync needs type ${want.type}; left as is`,
      hint: 'change its type in NetBox by hand, or name another field under selection.customFields in the config',
    };
  }
  const note = type === want.type ? undefined : `type ${type} (${want.type} preferred) is readable; left as is`;
  const missing = want.object_types.filter(t => !existing.object_types.includes(t));
  if (missing.length === 0) {
    return { action: 'ok', thing: 'custom field', name: want.name, id: existing.id, ...(note ? { note } : {}) };
  }
  return {
    action: 'update',
    thing: 'custom field',
    name: want.name,
    id: existing.id,
    patch: { object_types: [...existing.object_types, ...missing] },
    change: `add object types ${missing.join(', ')}${note ? `; ${note}` : ''}`,
  };
}

/** NetBox 4.x reads a field's type as `{value,label}`; a bare string is tolerated. */
function typeOf(field: NbCustomField): string {
  const t: unknown = field.type;
  if (typeof t === 'string') return t;
  if (typeof t === 'object' && t !== null && 'value' in t && typeof t.value === 'string') return t.value;
  return 'unknown';
}
