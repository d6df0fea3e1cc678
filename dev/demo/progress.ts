/** How the demo talks: numbered steps, indented detail, and a heartbeat for the long first-time steps. */

const BOLD = process.stdout.isTTY ? '\u001b[1m' : '';
const DIM = process.stdout.isTTY ? '\u001b[2m' : '';
const RESET = process.stdout.isTTY ? '\u001b[0m' : '';

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function step(n: number, total: number, title: string): void {
  say();
  say(`${BOLD}[${n}/${total}] ${title}${RESET}`);
}

/** Lines of another program's output, indented under the current step. */
export function indent(text: string, by = '    '): void {
  for (const line of text.replace(/\n+$/, '').split('\n')) say(line === '' ? '' : `${by}${line}`);
}

export function dim(text: string): string {
  return `${DIM}${text}${RESET}`;
}

export function seconds(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * Runs a step that can take minutes the first time: says how long it usually takes, prints a heartbeat every
 * 30 seconds while it runs, and how long it took.
 */
export async function withProgress<T>(what: string, usually: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  say(`    ${what} ${dim(`(${usually})`)}`);
  const timer = setInterval(() => say(dim(`    … still working on ${what} (${seconds(Date.now() - t0)})`)), 30_000);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}
