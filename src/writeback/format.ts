import type { WritebackChange, WritebackPlan } from './types.ts';

/** The writeback plan as people read it in a terminal: summary first, then each write and each conflict. */

const MARK: Record<WritebackChange['action'], string> = { create: '+', update: '~', 'mark-stale': '…', delete: '-' };

function line(c: WritebackChange): string {
  if (c.action === 'create')
    return `  + create ${c.record.model} ${c.record.space} — ${c.record.owner} (${c.record.pool})`;
  if (c.action === 'update') return `  ~ update ${c.record.model} ${c.record.space} — ${c.why}`;
  return `  ${MARK[c.action]} ${c.action} ${c.model} #${c.id} ${c.key.split('|')[2] ?? ''} — ${c.why}`;
}

export function formatWritebackSummary(plan: WritebackPlan): string {
  const s = plan.summary;
  const parts = [
    `${s.create} to create`,
    `${s.update} to update`,
    `${s['mark-stale']} to mark stale`,
    `${s.delete} to delete`,
    `${s.unchanged} unchanged`,
  ];
  if (s.kept > 0) parts.push(`${s.kept} kept`);
  if (s.conflict > 0) parts.push(`${s.conflict} conflict${s.conflict === 1 ? '' : 's'}`);
  return `Writeback: ${parts.join(', ')}.`;
}

export function formatWritebackPlan(plan: WritebackPlan): string {
  const lines = [formatWritebackSummary(plan)];
  if (plan.changes.length > 0) lines.push('', ...plan.changes.map(line));
  if (plan.conflicts.length > 0) {
    lines.push('', 'Conflicts (not written):');
    for (const c of plan.conflicts) lines.push(`  ! ${c.kind}: ${c.reason}${c.netbox ? ` — ${c.netbox.url}` : ''}`);
  }
  if (plan.kept.length > 0) {
    lines.push('', 'Kept:');
    for (const k of plan.kept) lines.push(`  = #${k.id} ${k.key.split('|')[2] ?? ''}: ${k.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
