/** Field and model descriptors shared by the model tables, plus the field builders they reuse. */
import type { Choices } from './choices.ts';
import type { Endpoint } from './types.ts';

export type FieldKind =
  | 'string'
  | 'bool'
  | 'int'
  | 'number'
  | 'choice'
  | 'choice_list'
  | 'fk'
  | 'absent_fk'
  | 'fk_ids'
  | 'tags'
  | 'custom_fields'
  | 'json'
  | 'inet'
  | 'content_type'
  | 'content_types'
  | 'choice_pairs'
  | 'string_map';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Required on create and PUT. */
  required?: boolean;
  nullable?: boolean;
  /** Strings: '' accepted. */
  blank?: boolean;
  maxLength?: number;
  min?: number;
  max?: number;
  pattern?: RegExp;
  patternMessage?: string;
  choices?: Choices;
  target?: Endpoint;
  default?: unknown;
  /** Django unique=True; 'ci' for case-insensitive collations. */
  unique?: 'exact' | 'ci';
  /** A blank string is stored as null (VRF rd). */
  blankToNull?: boolean;
}

export interface ModelSpec {
  endpoint: Endpoint;
  objectType: string;
  /** Django model class name: "No Prefix matches the given query." */
  modelName: string;
  /** Django verbose_name: "role with this slug already exists." */
  verboseName: string;
  uiPath: string;
  fields: readonly FieldSpec[];
  taggable: boolean;
  customFields: boolean;
  briefFields: readonly string[];
}

export const SLUG = /^[-a-zA-Z0-9_]+$/;
export const SLUG_MSG = 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.';
export const description: FieldSpec = { name: 'description', kind: 'string', maxLength: 200, blank: true, default: '' };
export const comments: FieldSpec = { name: 'comments', kind: 'string', blank: true, default: '' };
export const owner: FieldSpec = { name: 'owner', kind: 'absent_fk', nullable: true, default: null };
export const tenant: FieldSpec = {
  name: 'tenant',
  kind: 'fk',
  target: 'tenancy/tenants',
  nullable: true,
  default: null,
};
export const vrf: FieldSpec = { name: 'vrf', kind: 'fk', target: 'ipam/vrfs', nullable: true, default: null };
export const role: FieldSpec = { name: 'role', kind: 'fk', target: 'ipam/roles', nullable: true, default: null };
export const tags: FieldSpec = { name: 'tags', kind: 'tags', default: [] };
export const customFields: FieldSpec = { name: 'custom_fields', kind: 'custom_fields' };
export const name = (maxLength: number, unique = true): FieldSpec => ({
  name: 'name',
  kind: 'string',
  required: true,
  maxLength,
  ...(unique ? { unique: 'exact' as const } : {}),
});
export const slug: FieldSpec = {
  name: 'slug',
  kind: 'string',
  required: true,
  maxLength: 100,
  pattern: SLUG,
  patternMessage: SLUG_MSG,
  unique: 'exact',
};
export const bool = (n: string, def: boolean): FieldSpec => ({ name: n, kind: 'bool', default: def });
export const weight = (def: number): FieldSpec => ({ name: 'weight', kind: 'int', min: 0, max: 32767, default: def });
