/** Choice sets and content types of the NetBox models the emulator serves (value, label as NetBox defines them). */

export type Choices = readonly (readonly [string, string])[];

export const PREFIX_STATUS: Choices = [
  ['container', 'Container'],
  ['active', 'Active'],
  ['reserved', 'Reserved'],
  ['deprecated', 'Deprecated'],
];
export const RANGE_STATUS: Choices = [
  ['active', 'Active'],
  ['reserved', 'Reserved'],
  ['deprecated', 'Deprecated'],
];
export const IP_STATUS: Choices = [...RANGE_STATUS, ['dhcp', 'DHCP'], ['slaac', 'SLAAC']];
export const IP_ROLE: Choices = [
  ['loopback', 'Loopback'],
  ['secondary', 'Secondary'],
  ['anycast', 'Anycast'],
  ['vip', 'VIP'],
  ['vrrp', 'VRRP'],
  ['hsrp', 'HSRP'],
  ['glbp', 'GLBP'],
  ['carp', 'CARP'],
];
/** Roles exempt from duplicate-address enforcement (NetBox IPADDRESS_ROLES_NONUNIQUE). */
export const NON_UNIQUE_IP_ROLES = new Set(['anycast', 'vip', 'vrrp', 'hsrp', 'glbp', 'carp']);
export const CF_TYPES: Choices = [
  ['text', 'Text'],
  ['longtext', 'Text (long)'],
  ['integer', 'Integer'],
  ['decimal', 'Decimal'],
  ['boolean', 'Boolean (true/false)'],
  ['date', 'Date'],
  ['datetime', 'Date & time'],
  ['url', 'URL'],
  ['json', 'JSON'],
  ['select', 'Selection'],
  ['multiselect', 'Multiple selection'],
  ['object', 'Object'],
  ['multiobject', 'Multiple objects'],
];
export const FILTER_LOGIC: Choices = [
  ['disabled', 'Disabled'],
  ['loose', 'Loose'],
  ['exact', 'Exact'],
];
export const UI_VISIBLE: Choices = [
  ['always', 'Always'],
  ['if-set', 'If set'],
  ['hidden', 'Hidden'],
];
export const UI_EDITABLE: Choices = [
  ['yes', 'Yes'],
  ['no', 'No'],
  ['hidden', 'Hidden'],
];
export const BASE_CHOICES: Choices = [
  ['IATA', 'IATA (Airport codes)'],
  ['ISO_3166', 'ISO 3166 (Country codes)'],
  ['UN_LOCODE', 'UN/LOCODE (Location codes)'],
];
export const JOURNAL_KIND: Choices = [
  ['info', 'Info'],
  ['success', 'Success'],
  ['warning', 'Warning'],
  ['danger', 'Danger'],
];
export const HTTP_METHODS: Choices = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map(m => [m, m] as const);
export const EVENT_TYPES: Choices = [
  ['object_created', 'Object created'],
  ['object_updated', 'Object updated'],
  ['object_deleted', 'Object deleted'],
  ['job_started', 'Job started'],
  ['job_completed', 'Job completed'],
  ['job_failed', 'Job failed'],
  ['job_errored', 'Job errored'],
];
export const ACTION_TYPES: Choices = [
  ['webhook', 'Webhook'],
  ['script', 'Script'],
  ['notification', 'Notification'],
];

export function choiceLabel(choices: Choices, value: string): string {
  return choices.find(([v]) => v === value)?.[1] ?? '';
}

/**
 * Content types a NetBox install knows. Ours are served; the rest exist so custom fields, tags and event rules
 * may name them, as on a real install.
 */
export const KNOWN_CONTENT_TYPES = new Set([
  'ipam.prefix',
  'ipam.iprange',
  'ipam.ipaddress',
  'ipam.role',
  'ipam.vrf',
  'ipam.aggregate',
  'ipam.asn',
  'ipam.vlan',
  'ipam.vlangroup',
  'ipam.routetarget',
  'ipam.service',
  'tenancy.tenant',
  'tenancy.tenantgroup',
  'tenancy.contact',
  'extras.tag',
  'extras.customfield',
  'extras.customfieldchoiceset',
  'extras.journalentry',
  'extras.webhook',
  'extras.eventrule',
  'dcim.site',
  'dcim.region',
  'dcim.sitegroup',
  'dcim.location',
  'dcim.device',
  'dcim.interface',
  'dcim.rack',
  'virtualization.virtualmachine',
  'virtualization.vminterface',
  'virtualization.cluster',
]);

/** Choice sets by the key the serializers look them up with. */
export const CHOICES_BY_FIELD: Record<string, Choices> = {
  prefix_status: PREFIX_STATUS,
  range_status: RANGE_STATUS,
  ip_status: IP_STATUS,
  ip_role: IP_ROLE,
  kind: JOURNAL_KIND,
  type: CF_TYPES,
  filter_logic: FILTER_LOGIC,
  ui_visible: UI_VISIBLE,
  ui_editable: UI_EDITABLE,
  base_choices: BASE_CHOICES,
  action_type: ACTION_TYPES,
};
