/**
 * `config validate -c FILE`: the full validation the server runs at start-up (every problem listed
 * with file, line and key), plus the routing policies this build cannot serve yet. Local: no API.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../../../config/index.ts';
import { unservablePolicies } from '../../../overwatch/index.ts';
import { UsageError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

export function registerConfig(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  program
    .command('config')
    .description('configuration files')
    .command('validate')
    .description('validate a configuration file as the server would at start-up (exit 0 valid, 1 not)')
    .requiredOption('-c, --config <file>', 'configuration file')
    .option('-m, --mode <mode>', 'agent or overwatch (overrides the file)')
    .action(async (opts: { config: string; mode?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      let config;
      try {
        config = await loadConfigFile(opts.config, { modeOverride: opts.mode });
      } catch (err) {
        throw new UsageError((err as Error).message, { cause: err });
      }
      const refused = config.mode === 'overwatch' ? unservablePolicies(config) : [];
      if (refused.length > 0) throw new UsageError(`${config.sourcePath}: ${refused.join('\n')}`);
      const summary = {
        valid: true,
        path: config.sourcePath,
        mode: config.mode,
        node_id: config.identity.nodeId,
        region: config.identity.region,
        zones: config.dns.zones,
        domains: config.domains.length,
        regions: config.regions.length,
        servers: config.regions.reduce((n, r) => n + r.servers.length, 0),
        agent_tokens: Object.keys(config.agentTokens).length,
        agent_backends: config.backends.length,
        dnssec: config.dnssec.enabled,
        api: config.api.enabled ? `${config.api.listen.host || '*'}:${config.api.listen.port}` : null,
      };
      if (ctx.json) return ctx.out(`${JSON.stringify(summary)}\n`);
      const lines =
        config.mode === 'agent'
          ? `${summary.agent_backends} backend(s), ${config.gossip.overwatchNodes.length} overwatch node(s)`
          : `${summary.zones.length} zone(s), ${summary.domains} domain(s), ${summary.regions} region(s), ${summary.servers} server(s), ${summary.agent_tokens} agent token(s)`;
      ctx.out(`${config.sourcePath}: ${ctx.colour.green('valid')} (mode ${config.mode}, ${lines}, DNSSEC ${config.dnssec.enabled ? 'on' : 'off'})\n`);
    });
}
