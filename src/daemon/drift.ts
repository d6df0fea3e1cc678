import { runDriftReport } from '../cycle.ts';
import { renderDriftHtml } from '../drift/html.ts';
import { renderDriftJson } from '../drift/json.ts';
import type { DriftReport } from '../model/drift.ts';
import type { JobFn } from './jobs.ts';

/**
 * The drift job and what it leaves for people: the latest report per cluster, served at /drift (the page) and
 * /drift.json, and handed to `onReport` (the daemon's gauges). With several clusters in one process the page shows
 * the report written last and /drift.json holds them all.
 */
export class LatestDrift {
  readonly #reports = new Map<string, DriftReport>();
  #last: string | undefined;
  onReport: ((report: DriftReport) => Promise<void>) | undefined;

  readonly job: JobFn = async cluster => {
    const report = await runDriftReport(cluster.deps);
    this.#reports.set(cluster.name, report);
    this.#last = cluster.name;
    await this.onReport?.(report);
    const reason = report.status === 'unknown' ? `${report.headline}; the next drift job retries` : undefined;
    return {
      ok: report.status !== 'unknown',
      summary: { status: report.status, entries: report.entries.length },
      ...(reason === undefined ? {} : { reason }),
    };
  };

  html(): string | undefined {
    const report = this.#last === undefined ? undefined : this.#reports.get(this.#last);
    return report === undefined ? undefined : renderDriftHtml(report);
  }

  json(): string | undefined {
    const reports = [...this.#reports.values()];
    if (reports.length === 0) return undefined;
    const [only] = reports;
    return reports.length === 1 && only !== undefined
      ? renderDriftJson(only)
      : `[${reports.map(renderDriftJson).join(',')}]`;
  }
}
