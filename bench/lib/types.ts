/**
 * The contract between `bench/run.ts` (npm run bench) and the scenario modules under `bench/scenarios/`.
 * Each scenario module exports `scenario: Scenario`; run.ts starts the shared environment once, runs every
 * scenario in turn, prints one table and writes `bench/results/<date>.json`. Numbers only — nothing here asserts
 * a time. Ratios compare figures measured in the same run.
 */
import type { ControlPlane } from '../../dev/control-plane/index.ts';
import type { RealNetBox } from '../../dev/netbox-real/index.ts';
import type { TestRedis } from '../../dev/redis.ts';

/** What run.ts starts once and hands to every scenario. */
export interface BenchEnv {
  controlPlane: ControlPlane;
  /** Real NetBox 4.7 (gunicorn with one web worker per core); undefined with BENCH_NETBOX=emulator. */
  realNetBox: RealNetBox | undefined;
  redis: TestRedis;
  /** 1 for the full sizes of issue 16; smaller (BENCH_SCALE=0.1) for a quick look. Scenarios multiply their sizes. */
  scale: number;
  log(line: string): void;
}

/** One printed line: one step of one scenario against one NetBox. */
export interface BenchRow {
  scenario: string;
  /** e.g. "first sync", "steady", "1% changed", "naive", "floor". */
  step: string;
  /** 'real' = real NetBox 4.7; 'emulator' = the emulator with its latency model (say which in `notes`). */
  netbox: 'real' | 'emulator';
  /** Objects the step handles (pools, records, events). */
  size: number;
  wallMs: number;
  netboxReads: number;
  netboxWrites: number;
  kubeRequests: number;
  /** Peak RSS of the process doing the work (a child process; NetBox and the control plane excluded). */
  peakRssMiB?: number;
  /** Named ratios measured in this run, e.g. { 'requests ÷ minimum': 1.1, 'naive ÷ ours': 24 }. */
  ratios?: Record<string, number>;
  /** Percentiles etc. */
  extra?: Record<string, number | string>;
  notes?: string;
}

/** A target of issue 16 and whether this run met it. */
export interface TargetCheck {
  target: string;
  measured: string;
  holds: boolean;
}

export interface ScenarioResult {
  rows: BenchRow[];
  targets: TargetCheck[];
}

export interface Scenario {
  /** Short name used in the table and to pick scenarios: `npm run bench -- sync writeback`. */
  name: string;
  description: string;
  run(env: BenchEnv): Promise<ScenarioResult>;
}
