import type { Command } from 'commander';
import { loadConfig, securityWarnings, validateKindDefaults } from '../config/config.ts';
import { ADAPTERS } from '../kinds/registry.ts';
import { formatIssue } from '../model/issue.ts';
import { DEFAULT_CONFIG_PATH } from './wiring.ts';

/** `config check`: validate a config file, kind defaults included, without touching NetBox or the cluster. */
export function registerConfigCheck(program: Command, setExit: (code: number) => void): void {
  program
    .command('config')
    .description('configuration helpers')
    .command('check')
    .description('validate a config file (exit 0: valid, 1: invalid)')
    .option('-c, --config <file>', 'config file (default $NBSYNC_CONFIG or /etc/netbox-ippool-sync/config.yaml)')
    .action(async (opts: { config?: string }) => {
      const file = opts.config ?? process.env['NBSYNC_CONFIG'] ?? DEFAULT_CONFIG_PATH;
      // Kind sections are checked even when the rest fails, so every problem is reported in one run.
      const result = await loadConfig(file, process.env, ADAPTERS);
      const issues = result.ok
        ? [...securityWarnings(result.config), ...validateKindDefaults(result.config, ADAPTERS).issues]
        : result.issues;
      for (const i of issues) process.stdout.write(`${formatIssue(i)}\n`);
      const errors = issues.filter(i => i.severity === 'error').length;
      process.stdout.write(errors ? `${file}: ${errors} error(s)\n` : `${file}: valid\n`);
      setExit(errors ? 1 : 0);
    });
}
