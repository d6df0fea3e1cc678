/** A WriteContext for writes that bypass HTTP: seeding and unit tests. Events are collected but never sent. */
import { displayOf, represent, reprContext } from './serialize.ts';
import type { Store } from './store.ts';
import type { IpamRules } from './validate-ipam.ts';
import type { WriteContext } from './write.ts';

export function directWriteContext(store: Store, rules: IpamRules, requestId = 'direct'): WriteContext {
  const relative = reprContext(store, '', true);
  return {
    store,
    rules,
    user: { id: 1, username: 'admin' },
    requestId,
    changelogMessage: '',
    events: [],
    describe: (ep, row) => represent(relative, ep, row),
    display: (ep, row) => displayOf(store, ep, row),
    prefixBookkeeping: false,
  };
}
