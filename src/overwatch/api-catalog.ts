/**
 * Domains and regions created through the API: validated, persisted in data_dir (documents
 * 'domains' and 'regions'), and merged with the config's (which stay read-only and win on a name
 * clash). An API domain must lie inside a served zone; it is served like a configured domain, with
 * its backends coming from API servers and agents of that service.
 */
import type { Config, DomainConfig, RoutingAlgorithm } from '../config/types.ts';
import { normaliseRoutingAlgorithm } from '../config/index.ts';
import { isValidHostname } from '../dns/wire/index.ts';
import type { StateStore } from '../store/index.ts';
import { ControlError, ControlErrorCode, type DomainInput, type RegionInput } from './control.ts';
import { SERVABLE_POLICIES } from '../routing/index.ts';

export interface StoredDomain {
  name: string;
  ttlSeconds: number;
  routingPolicy: RoutingAlgorithm;
  maxAnswers: number;
  description?: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface StoredRegion {
  name: string;
  countries: string[];
  continents: string[];
  description?: string;
  createdAtMs: number;
}

const CONTINENTS = new Set(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);

function invalid(message: string): ControlError {
  return new ControlError(ControlErrorCode.Invalid, message);
}

export class ApiCatalog {
  readonly #store: StateStore;
  readonly #config: () => Config;
  readonly #domains = new Map<string, StoredDomain>();
  readonly #regions = new Map<string, StoredRegion>();

  constructor(store: StateStore, config: () => Config) {
    this.#store = store;
    this.#config = config;
    for (const d of store.documents.list('domains')) this.#domains.set(d.id, d.body as StoredDomain);
    for (const r of store.documents.list('regions')) this.#regions.set(r.id, r.body as StoredRegion);
  }

  domains(): StoredDomain[] {
    return [...this.#domains.values()];
  }

  regions(): StoredRegion[] {
    return [...this.#regions.values()];
  }

  /** As DomainConfig for the Registry. */
  domainConfigs(): DomainConfig[] {
    const latency = { smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 };
    return this.domains().map((d) => ({
      name: d.name,
      routingAlgorithm: d.routingPolicy,
      regions: [],
      ttlSeconds: d.ttlSeconds,
      maxAnswers: d.maxAnswers,
      latencyConfig: latency,
    }));
  }

  #policy(text: string | undefined, fallback: RoutingAlgorithm): RoutingAlgorithm {
    if (text === undefined) return fallback;
    const p = normaliseRoutingAlgorithm(text);
    if (!p) throw invalid(`routing_policy: unknown routing algorithm ${JSON.stringify(text)}; expected one of ${SERVABLE_POLICIES.join(', ')}`);
    if (!SERVABLE_POLICIES.includes(p)) throw invalid(`routing_policy: "${p}" is not available in this version; expected one of ${SERVABLE_POLICIES.join(', ')}`);
    return p;
  }

  #checkTtl(ttl: number | undefined): void {
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 0 && ttl <= 604800)) throw invalid(`ttl: expected an integer 0-604800, got ${ttl}`);
  }

  #checkMaxAnswers(n: number | undefined): void {
    if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 64)) throw invalid(`max_answers: expected an integer 1-64, got ${n}`);
  }

  createDomain(input: DomainInput, nowMs: number): StoredDomain {
    const name = input.name.trim().toLowerCase().replace(/\.$/, '');
    if (!isValidHostname(name)) throw invalid(`name: expected a DNS name such as app.gslb.example.com, got ${JSON.stringify(input.name)}`);
    const config = this.#config();
    if (config.domains.some((d) => d.name === name)) throw new ControlError(ControlErrorCode.Conflict, `domain "${name}" already exists in config`);
    if (this.#domains.has(name)) throw new ControlError(ControlErrorCode.Conflict, `domain "${name}" already exists`);
    if (!config.dns.zones.some((z) => name === z || name.endsWith(`.${z}`))) {
      throw invalid(`name: ${name} is not inside any served zone (${config.dns.zones.join(', ') || 'none configured'}); add its zone to dns.zones first`);
    }
    this.#checkTtl(input.ttlSeconds);
    this.#checkMaxAnswers(input.maxAnswers);
    const d: StoredDomain = {
      name,
      ttlSeconds: input.ttlSeconds ?? config.dns.defaultTtlSeconds,
      routingPolicy: this.#policy(input.routingPolicy, 'round-robin'),
      maxAnswers: input.maxAnswers ?? 8,
      description: input.description,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    this.#store.documents.put('domains', name, d);
    this.#domains.set(name, d);
    return d;
  }

  #requireApiDomain(name: string): StoredDomain {
    const d = this.#domains.get(name);
    if (d) return d;
    if (this.#config().domains.some((c) => c.name === name)) {
      throw new ControlError(ControlErrorCode.ReadOnlyItem, `domain "${name}" comes from the configuration file; change it there, not through the API`);
    }
    throw new ControlError(ControlErrorCode.NotFound, `domain not found: ${name}`);
  }

  updateDomain(name: string, changes: Omit<DomainInput, 'name'>, nowMs: number): StoredDomain {
    const d = this.#requireApiDomain(name);
    this.#checkTtl(changes.ttlSeconds);
    this.#checkMaxAnswers(changes.maxAnswers);
    const next: StoredDomain = {
      ...d,
      ttlSeconds: changes.ttlSeconds ?? d.ttlSeconds,
      routingPolicy: this.#policy(changes.routingPolicy, d.routingPolicy),
      maxAnswers: changes.maxAnswers ?? d.maxAnswers,
      description: changes.description ?? d.description,
      updatedAtMs: nowMs,
    };
    this.#store.documents.put('domains', name, next);
    this.#domains.set(name, next);
    return next;
  }

  deleteDomain(name: string): void {
    this.#requireApiDomain(name);
    this.#store.documents.delete('domains', name);
    this.#domains.delete(name);
  }

  #checkGeo(countries: string[] | undefined, continents: string[] | undefined): void {
    for (const c of countries ?? []) if (!/^[A-Za-z]{2}$/.test(c)) throw invalid(`countries: invalid country code ${JSON.stringify(c)} (must be 2-letter ISO code)`);
    for (const c of continents ?? []) {
      if (!CONTINENTS.has(c.toUpperCase())) throw invalid(`continents: invalid continent code ${JSON.stringify(c)} (valid: AF, AN, AS, EU, NA, OC, SA)`);
    }
  }

  createRegion(input: RegionInput, nowMs: number): StoredRegion {
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw invalid('name is required');
    if (this.#config().regions.some((r) => r.name === name)) throw new ControlError(ControlErrorCode.Conflict, `region "${name}" already exists in config`);
    if (this.#regions.has(name)) throw new ControlError(ControlErrorCode.Conflict, `region "${name}" already exists`);
    this.#checkGeo(input.countries, input.continents);
    const r: StoredRegion = {
      name,
      countries: (input.countries ?? []).map((c) => c.toUpperCase()),
      continents: (input.continents ?? []).map((c) => c.toUpperCase()),
      description: input.description,
      createdAtMs: nowMs,
    };
    this.#store.documents.put('regions', name, r);
    this.#regions.set(name, r);
    return r;
  }

  #requireApiRegion(name: string): StoredRegion {
    const r = this.#regions.get(name);
    if (r) return r;
    if (this.#config().regions.some((c) => c.name === name)) {
      throw new ControlError(ControlErrorCode.ReadOnlyItem, `region "${name}" comes from the configuration file; change it there, not through the API`);
    }
    throw new ControlError(ControlErrorCode.NotFound, `region not found: ${name}`);
  }

  updateRegion(name: string, changes: Omit<RegionInput, 'name'>): StoredRegion {
    const r = this.#requireApiRegion(name);
    this.#checkGeo(changes.countries, changes.continents);
    const next: StoredRegion = {
      ...r,
      countries: changes.countries ? changes.countries.map((c) => c.toUpperCase()) : r.countries,
      continents: changes.continents ? changes.continents.map((c) => c.toUpperCase()) : r.continents,
      description: changes.description ?? r.description,
    };
    this.#store.documents.put('regions', name, next);
    this.#regions.set(name, next);
    return next;
  }

  deleteRegion(name: string): void {
    this.#requireApiRegion(name);
    this.#store.documents.delete('regions', name);
    this.#regions.delete(name);
  }
}
