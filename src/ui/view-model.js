/**
 * The dashboard's pure logic: turns one `state` event from /api/v1/events into what the page shows.
 * No DOM, no network, no clock of its own (times are passed in), so it runs under Node's test
 * runner as well as in the browser.
 */

/** CSS class of an effective status: ok / bad / warn / muted. */
export function statusClass(status) {
  switch (status) {
    case 'healthy':
      return 'ok';
    case 'unhealthy':
      return 'bad';
    case 'stale':
    case 'draining':
      return 'warn';
    default:
      return 'muted';
  }
}

/** What decided a backend's health, in the guide's words. */
export const AUTHORITY_LABELS = {
  override: 'manual override',
  external: 'external tool',
  validation: 'Overwatch check',
  agent: 'agent claim',
  none: 'no verdict yet',
};

/** `4s`, `3m12s`, `2h5m`, `3d4h`; `-` when unknown. */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** Server clock minus client clock, from a state's generated_at received at clientNowMs. */
export function clockOffsetMs(generatedAt, clientNowMs) {
  const t = Date.parse(generatedAt);
  return Number.isNaN(t) ? 0 : t - clientNowMs;
}

/** Seconds since an RFC 3339 time, on the server's clock; null when unknown. */
export function secondsSince(iso, serverNowMs) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, (serverNowMs - t) / 1000);
}

/** Seconds until an RFC 3339 time, on the server's clock (0 once passed); null when unknown. */
export function secondsUntil(iso, serverNowMs) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, (t - serverNowMs) / 1000);
}

export function hostPort(address, port) {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The override URL for a backend (all ports of the address unless `port` is given). */
export function overridePath(service, address, port) {
  const base = `/api/v1/overrides/${encodeURIComponent(service)}/${encodeURIComponent(address)}`;
  return port === null || port === undefined ? base : `${base}?port=${port}`;
}

/** The summary cards, in display order. */
export function summaryCards(state) {
  const s = state.summary;
  const unhealthy = s.by_status.unhealthy ?? 0;
  const stale = s.by_status.stale ?? 0;
  const dns = state.dns;
  return [
    { label: 'Serving', value: `${s.serving} / ${s.backends}`, tone: s.backends > 0 && s.serving === 0 ? 'bad' : 'ok' },
    { label: 'Unhealthy', value: String(unhealthy), tone: unhealthy > 0 ? 'bad' : 'ok' },
    { label: 'Stale', value: String(stale), tone: stale > 0 ? 'warn' : 'ok' },
    { label: 'Overrides', value: String(s.overrides), tone: s.overrides > 0 ? 'warn' : 'muted' },
    { label: 'Agents', value: s.stale_agents > 0 ? `${s.agents} (${s.stale_agents} stale)` : String(s.agents), tone: s.stale_agents > 0 ? 'warn' : 'muted' },
    {
      label: 'DNS q/s',
      value: dns.source === 'unavailable' ? 'n/a' : dns.qps === null ? '…' : String(dns.qps),
      tone: 'muted',
      title: dns.source === 'unavailable' ? dns.reason : `from ${dns.source}; ${dns.total} answered since start`,
    },
  ];
}

/** Backend rows, filtered by a free-text query over service, address, region, status and authority. */
export function backendRows(state, query = '') {
  const q = query.trim().toLowerCase();
  return state.backends
    .filter((b) => q === '' || [b.service, b.address, `${b.address}:${b.port}`, b.region, b.effective_status, b.authority, b.source, b.agent_id ?? ''].some((v) => String(v).toLowerCase().includes(q)))
    .map((b) => ({
      id: b.id,
      service: b.service,
      address: b.address,
      port: b.port,
      backend: hostPort(b.address, b.port),
      region: b.region || '-',
      source: b.agent_id ? `${b.source} (${b.agent_id})` : b.source,
      status: b.effective_status,
      statusClass: statusClass(b.effective_status),
      authority: b.authority,
      authorityLabel: AUTHORITY_LABELS[b.authority] ?? b.authority,
      serving: b.healthy,
      check:
        b.validation.healthy === null
          ? '-'
          : b.validation.healthy
            ? `pass${b.validation.latency_ms === null ? '' : ` ${Math.round(b.validation.latency_ms)}ms`}`
            : `fail${b.validation.error ? `: ${b.validation.error}` : ''}`,
      checkClass: b.validation.healthy === null ? 'muted' : b.validation.healthy ? 'ok' : 'bad',
      override: b.override,
      overrideText: b.override ? `${b.override.healthy ? 'healthy' : 'unhealthy'}${b.override.reason ? ` — ${b.override.reason}` : ''}` : '',
    }));
}

export function agentRows(state, serverNowMs) {
  return state.agents.map((a) => {
    const age = secondsSince(a.last_seen, serverNowMs);
    const stale = age === null || age > state.overwatch.stale_threshold_seconds;
    return { ...a, age, ageText: formatAge(age), stale, stateText: stale ? 'stale' : 'live', stateClass: stale ? 'warn' : 'ok' };
  });
}

export function overrideRows(state, serverNowMs) {
  return state.overrides.map((o) => ({
    ...o,
    target: o.port === null ? `${o.address} (all ports)` : hostPort(o.address, o.port),
    healthyText: o.healthy ? 'healthy' : 'unhealthy',
    healthyClass: o.healthy ? 'ok' : 'bad',
    ageText: formatAge(secondsSince(o.created_at, serverNowMs)),
  }));
}

export function dnsRows(state) {
  return state.dns.by_rcode.map((r) => ({ rcode: r.rcode, qps: r.qps === null ? '…' : String(r.qps), total: String(r.total), tone: r.rcode === 'NOERROR' ? 'ok' : r.rcode === 'SERVFAIL' ? 'bad' : 'muted' }));
}

/** Keeps the last `size` q/s samples for the sparkline; returns the new history. */
export function pushHistory(history, qps, size = 60) {
  const next = history.concat([qps === null || qps === undefined ? 0 : qps]);
  return next.length > size ? next.slice(next.length - size) : next;
}

/** SVG polyline points for a sparkline of `values` in a width x height box. */
export function sparklinePoints(values, width, height) {
  if (values.length === 0) return '';
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${Math.round(i * step * 10) / 10},${Math.round((height - (v / max) * (height - 2) - 1) * 10) / 10}`).join(' ');
}

/**
 * An optional feature read by the server from its own API (DNSSEC, gossip, pinned agents):
 * `{ state: 'absent' }` when this Overwatch has no such route, `{ state: 'off', message }` when the
 * route says the feature is switched off (404 with a reason), `{ state: 'error', message }` for
 * another non-2xx answer, else `{ state: 'ok', body }`.
 */
export function featureOf(reading) {
  if (reading === null || reading === undefined) return { state: 'absent' };
  if (reading.status < 200 || reading.status >= 300) {
    const message = reading.body && typeof reading.body.error === 'string' ? reading.body.error : `HTTP ${reading.status}`;
    if (reading.status === 404 && message !== 'not found') return { state: 'off', message };
    return { state: 'error', message: `${reading.path}: ${reading.status} ${message}` };
  }
  return { state: 'ok', body: reading.body };
}

/** The DS records in a /dnssec/ds answer: one zone `{zone, ds_records}` or several. */
export function dsRecordsOf(body) {
  const zones = Array.isArray(body) ? body : Array.isArray(body?.zones) ? body.zones : Array.isArray(body?.ds_records) ? [body] : [];
  return zones.flatMap((z) => (z.ds_records ?? []).map((d) => ({ zone: z.zone, ...d })));
}

/** The first array of objects in an answer (`members`, `nodes`, `peers`, `keys`, ...), for a generic table. */
export function firstListOf(body) {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') {
    for (const v of Object.values(body)) if (Array.isArray(v) && v.every((x) => x && typeof x === 'object')) return v;
  }
  return [];
}

/** Scalar fields of an object as [key, text] pairs (nested values as compact JSON). */
export function scalarPairs(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  return Object.entries(body)
    .filter(([, v]) => !Array.isArray(v))
    .map(([k, v]) => [k, v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)]);
}

/** Keys of a /dnssec/status answer, one row per zone key (the status's own shape: zones[].keys[]). */
export function dnssecKeyRows(body, serverNowMs) {
  const zones = Array.isArray(body?.zones) ? body.zones : [];
  return zones.flatMap((z) =>
    (Array.isArray(z.keys) ? z.keys : []).map((k) => ({
      zone: z.zone,
      key_tag: String(k.key_tag),
      flags: String(k.flags),
      signing: k.signing ? 'yes' : 'no',
      source: k.source ?? '-',
      age: formatAge(secondsSince(k.created_at, serverNowMs)),
      signatures_cached: String(z.signatures_cached ?? '-'),
      next_refresh: z.next_refresh ? `in ${formatAge(secondsUntil(z.next_refresh, serverNowMs))}` : '-',
    })),
  );
}

/** Peers of a /dnssec/sync/status answer: last success, failures, last error. */
export function syncPeerRows(body, serverNowMs) {
  const peers = Array.isArray(body?.peers) ? body.peers : [];
  return peers.map((p) => ({
    peer: p.peer,
    last_success: p.last_success ? `${formatAge(secondsSince(p.last_success, serverNowMs))} ago` : 'never',
    ok: p.last_success !== null && (p.last_error === null || (p.last_error_at !== null && Date.parse(p.last_success) >= Date.parse(p.last_error_at))),
    failures: String(p.failures ?? 0),
    keys_adopted: String(p.keys_adopted ?? 0),
    last_error: p.last_error ?? '-',
  }));
}
