import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from './debounce.ts';

describe('Debouncer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires a lone event at once: a single webhook does not wait for the window', () => {
    const fired: string[] = [];
    const d = new Debouncer({ delayMs: 5000, now: () => Date.now() }, k => fired.push(k));
    d.trigger('sync/a');
    expect(fired).toEqual(['sync/a']);
    expect(d.size).toBe(0);
  });

  it('collects the events after a call into one call at the end of the window, per key', () => {
    const fired: string[] = [];
    const d = new Debouncer({ delayMs: 1000, now: () => Date.now() }, k => fired.push(k));
    d.trigger('sync/a'); // t=0: at once
    vi.advanceTimersByTime(300);
    d.trigger('sync/a');
    d.trigger('sync/b'); // another key: at once
    vi.advanceTimersByTime(300);
    d.trigger('sync/a');
    expect(fired).toEqual(['sync/a', 'sync/b']);
    expect(d.size).toBe(1);
    vi.advanceTimersByTime(399); // t=999
    expect(fired).toEqual(['sync/a', 'sync/b']);
    vi.advanceTimersByTime(1); // t=1000: the trailing call covers both events
    expect(fired).toEqual(['sync/a', 'sync/b', 'sync/a']);
    expect(d.size).toBe(0);
  });

  it('an endless stream fires once per window, and no event waits longer than the window', () => {
    const fired: number[] = [];
    const d = new Debouncer({ delayMs: 1000, now: () => Date.now() }, () => fired.push(Date.now()));
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) {
      d.trigger('sync/a');
      vi.advanceTimersByTime(250);
    }
    vi.advanceTimersByTime(1000);
    expect(fired.map(t => t - t0)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
  });

  it('after a quiet window the next event fires at once again', () => {
    const fired: number[] = [];
    const d = new Debouncer({ delayMs: 1000, now: () => Date.now() }, () => fired.push(Date.now()));
    const t0 = Date.now();
    d.trigger('sync/a');
    vi.advanceTimersByTime(1500);
    d.trigger('sync/a');
    expect(fired.map(t => t - t0)).toEqual([0, 1500]);
  });

  it('cancelAll drops what is pending', () => {
    const fired: string[] = [];
    const d = new Debouncer({ delayMs: 1000 }, k => fired.push(k));
    d.trigger('sync/a');
    d.trigger('sync/a');
    d.cancelAll();
    vi.advanceTimersByTime(5000);
    expect(fired).toEqual(['sync/a']);
  });
});
