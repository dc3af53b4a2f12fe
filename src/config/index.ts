/**
 * config/: loads and validates the OpenGSLB configuration and hands every other module one normalised,
 * typed Config (types.ts): defaults applied, durations in ms, DNS names lowercase without trailing dot.
 *
 * Input: YAML (the `yaml` package, line numbers kept for every node) with `${VAR}` substituted in parsed
 * string values (`$${X}` is a literal `${X}`; an unset variable is an error). Durations are Go strings
 * (`500ms`, `30s`, `1h30m`); a plain number where a duration belongs is an error asking for a unit.
 *
 * Layouts: the deployment guide's top-level sections and the original's nested `overwatch:` / `agent:`
 * blocks both load. Only the active mode's block is read (a file may carry both blocks). A section
 * written BOTH at the top level and in the active mode's block is an error: there is no silent
 * precedence. Mode: `--mode` (modeOverride) wins over `mode:`, which defaults to overwatch.
 *
 * Unknown keys are errors, with a "did you mean" hint, but a key is unknown only when neither layout
 * knows it at that place, so configs written for the original keep loading.
 *
 * Zones: `dns.zones` plus zones implied by `domains`: a domain outside every configured zone implies its
 * parent as a zone (`app.demo.local` → `demo.local`); a domain of one or two labels is its own apex (we
 * never claim a TLD); implied zones inside other zones are folded into them.
 *
 * Files: the main file must not be world-readable; `includes:` follows the original (globs relative to
 * the including file, `**`, depth 10, cycles refused, included files not world-writable, regions/
 * domains/backends/custom_mappings appended, agent_tokens merged with later files winning, other keys of
 * included files ignored). A plain include path that matches no file is an error.
 *
 * Errors: one ConfigError (ERR_CONFIG_INVALID) listing every problem as `file:line: key.path: message`.
 * Secrets (tokens, gossip keys, substituted variables) never appear in messages.
 *
 * Pure parsing and validation live apart from file access (file-access.ts, glob.ts, includes.ts,
 * load-config-file.ts).
 */
export { ConfigError, formatProblem, type ConfigProblem } from './config-error.ts';
export { parseDuration, formatDuration, DurationError } from './duration.ts';
export { loadConfigFile, type LoadOptions } from './load-config-file.ts';
export { parseConfigText, type ParseOptions } from './parse-config-text.ts';
export { restartRequiredChanges } from './restart-required.ts';
export { normaliseRoutingAlgorithm } from './validate-domains.ts';
export type * from './types.ts';
export { knownKeyPaths } from './known-keys.ts';
export { CONFIG_REFERENCE, renderConfigReference, type ReferenceEntry } from './reference.ts';
