import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from './debounce.ts';

describe('Debouncer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('turns a burst into one call after the quiet time, per key', () => {
    const fired: string[] = [];
    const d = new Debouncer({ delayMs: 1000, now: () => Date.now() }, k => fired.push(k));
    d.trigger('sync/a');
    vi.advanceTimersByTime(600);
    d.trigger('sync/a');
    d.trigger('sync/b');
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['sync/a', 'sync/b']);
    expect(d.size).toBe(0);
  });

  it('fires at the latest maxWait after the first event of an endless stream', () => {
    const fired: string[] = [];
    const d = new Debouncer({ delayMs: 1000, maxWaitMs: 3000, now: () => Date.now() }, k => fired.push(k));
    for (let i = 0; i < 10; i++) {
      d.trigger('sync/a');
      vi.advanceTimersByTime(500);
    }
    expect(fired).toEqual(['sync/a']);
  });

  it('cancelAll drops what is pending', () => {
    const fired: string[] = [];
    const d = new Debouncer({ delayMs: 1000 }, k => fired.push(k));
    d.trigger('sync/a');
    d.cancelAll();
    vi.advanceTimersByTime(5000);
    expect(fired).toEqual([]);
  });
});
