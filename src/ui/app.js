/**
 * The OpenGSLB dashboard: subscribes to /api/v1/events (Server-Sent Events; the browser reconnects
 * by itself) and redraws from each `state`; writes go through the ordinary override API. Every
 * value from the server is inserted as text (textContent), never as HTML. Ages tick locally once a
 * second on the server's clock (offset from `generated_at`), without asking the server.
 */
import {
  agentRows,
  backendRows,
  clockOffsetMs,
  dnsRows,
  dnssecKeyRows,
  dsRecordsOf,
  featureOf,
  firstListOf,
  formatAge,
  overridePath,
  overrideRows,
  pushHistory,
  scalarPairs,
  secondsSince,
  sparklinePoints,
  summaryCards,
  syncPeerRows,
} from './view-model.js';

const $ = (id) => document.getElementById(id);

/** Builds an element; string/number children become text nodes. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const view = {
  state: null,
  offsetMs: 0,
  history: [],
  filter: '',
};

function serverNow() {
  return Date.now() + view.offsetMs;
}

function setBadge(el, text, tone) {
  el.textContent = text;
  el.className = `badge ${tone}`;
}

function notice(text, tone = 'warn') {
  const el = $('notice');
  el.textContent = text;
  el.className = `notice ${tone}`;
  el.hidden = text === '';
}

function fillBody(table, rows, emptyEl) {
  const body = table.tBodies[0];
  body.replaceChildren(...rows);
  table.hidden = rows.length === 0;
  if (emptyEl) emptyEl.hidden = rows.length > 0;
}

function renderHeader(state) {
  const ow = state.overwatch;
  $('node-id').textContent = ow.node_id;
  $('version').textContent = `v${ow.version}`;
  document.title = `OpenGSLB ${ow.node_id}`;
  setBadge($('ready'), ow.ready ? 'ready' : `not ready${ow.message ? `: ${ow.message}` : ''}`, ow.ready ? 'ok' : 'bad');
  $('uptime').dataset.since = ow.started_at;
}

function renderCards(state) {
  $('cards').replaceChildren(
    ...summaryCards(state).map((c) =>
      h('div', { class: 'card', title: c.title, dataset: { card: c.label } }, h('div', { class: 'label' }, c.label), h('div', { class: `value ${c.tone}` }, c.value)),
    ),
  );
}

function renderBackends(state) {
  const rows = backendRows(state, view.filter).map((b) =>
    h(
      'tr',
      { class: b.statusClass === 'bad' ? 'row-bad' : b.statusClass === 'warn' ? 'row-warn' : '', dataset: { backend: b.id, status: b.status } },
      h('td', {}, b.service),
      h('td', { class: 'mono' }, b.backend),
      h('td', {}, b.region),
      h('td', {}, b.source),
      h('td', {}, h('span', { class: `badge ${b.statusClass}`, dataset: { role: 'status' } }, b.status)),
      h('td', { title: b.authority, dataset: { role: 'authority' } }, b.authorityLabel),
      h('td', { class: b.serving ? 'ok' : 'bad' }, b.serving ? 'yes' : 'no'),
      h('td', { class: b.checkClass }, b.check),
      h('td', {}, b.overrideText),
      h(
        'td',
        {},
        h('button', { type: 'button', dataset: { action: 'override' }, onclick: () => openOverride(b) }, 'Override…'),
        b.override ? h('button', { type: 'button', dataset: { action: 'clear' }, onclick: () => openClear(b.override) }, 'Clear') : null,
      ),
    ),
  );
  fillBody($('backends'), rows, $('backends-empty'));
}

function renderAgents(state) {
  const rows = agentRows(state, serverNow()).map((a) =>
    h(
      'tr',
      { dataset: { agent: a.agent_id } },
      h('td', {}, a.agent_id),
      h('td', {}, a.region || '-'),
      h('td', { class: 'num', dataset: { since: a.last_seen ?? '' } }, a.ageText),
      h('td', {}, h('span', { class: `badge ${a.stateClass}` }, a.stateText)),
      h('td', { class: 'num' }, a.backend_count),
      h('td', { class: 'num' }, a.healthy_claims),
    ),
  );
  fillBody($('agents'), rows, $('agents-empty'));
  const pinned = featureOf(state.pinned_agents);
  const box = $('pinned');
  if (pinned.state === 'ok') {
    box.replaceChildren(h('h3', {}, 'Pinned identities'), genericTable(firstListOf(pinned.body), ['agent_id', 'region', 'fingerprint', 'last_seen', 'revoked']));
  } else if (pinned.state === 'error' || pinned.state === 'off') {
    box.replaceChildren(h('p', { class: 'muted' }, `Pinned identities: ${pinned.message}`));
  } else {
    box.replaceChildren();
  }
}

function renderOverrides(state) {
  const rows = overrideRows(state, serverNow()).map((o) =>
    h(
      'tr',
      { dataset: { override: `${o.service}|${o.address}|${o.port ?? '*'}` } },
      h('td', {}, o.service),
      h('td', { class: 'mono' }, o.target),
      h('td', {}, h('span', { class: `badge ${o.healthyClass}` }, o.healthyText)),
      h('td', {}, o.reason || '-'),
      h('td', {}, o.source),
      h('td', {}, o.authority || '-'),
      h('td', { class: 'num', dataset: { since: o.created_at } }, o.ageText),
      h('td', {}, h('button', { type: 'button', dataset: { action: 'clear' }, onclick: () => openClear(o) }, 'Clear')),
    ),
  );
  fillBody($('overrides'), rows, $('overrides-empty'));
}

function renderDns(state) {
  const dns = state.dns;
  view.history = pushHistory(view.history, dns.qps);
  $('dns-qps').textContent = dns.source === 'unavailable' ? 'n/a' : dns.qps === null ? '…' : String(dns.qps);
  $('spark').querySelector('polyline').setAttribute('points', sparklinePoints(view.history, 240, 40));
  const note = $('dns-note');
  note.hidden = dns.source !== 'unavailable';
  note.textContent = dns.source === 'unavailable' ? `Query rates unavailable: ${dns.reason}` : '';
  fillBody(
    $('rcodes'),
    dnsRows(state).map((r) => h('tr', { dataset: { rcode: r.rcode } }, h('td', { class: r.tone }, r.rcode), h('td', { class: 'num' }, r.qps), h('td', { class: 'num' }, r.total))),
  );
}

/** A table of arbitrary objects: the listed columns first (when present), then the others. */
function genericTable(list, preferred = []) {
  if (list.length === 0) return h('p', { class: 'muted' }, 'None.');
  const keys = [...new Set([...preferred.filter((k) => list.some((r) => k in r)), ...list.flatMap((r) => Object.keys(r))])];
  const text = (v) => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, keys.map((k) => h('th', {}, k.replaceAll('_', ' '))))),
    h('tbody', {}, list.map((r) => h('tr', {}, keys.map((k) => h('td', { class: typeof r[k] === 'number' ? 'num' : '' }, text(r[k])))))),
  );
}

function pairsList(pairs) {
  return h('table', {}, h('tbody', {}, pairs.map(([k, v]) => h('tr', {}, h('th', {}, k.replaceAll('_', ' ')), h('td', { class: 'mono' }, v)))));
}

function renderDnssec(state) {
  const status = featureOf(state.dnssec_status);
  const ds = featureOf(state.dnssec_ds);
  const sync = featureOf(state.dnssec_sync);
  const box = $('dnssec');
  if (status.state === 'absent' && ds.state === 'absent' && sync.state === 'absent') {
    box.replaceChildren(
      h('p', { class: 'muted' }, `This Overwatch has no DNSSEC API (dnssec.enabled: ${state.overwatch.dnssec_enabled ? 'true' : 'false'} in its configuration).`),
    );
    return;
  }
  const off = [status, ds, sync].find((f) => f.state === 'off');
  if (off) {
    box.replaceChildren(h('p', { class: 'muted' }, off.message));
    return;
  }
  const parts = [];
  const now = serverNow();
  if (status.state === 'ok') {
    const keys = dnssecKeyRows(status.body, now);
    parts.push(pairsList(scalarPairs(status.body).filter(([k]) => k !== 'generated_at')));
    parts.push(h('h3', {}, 'Keys'), keys.length > 0 ? genericTable(keys) : genericTable(firstListOf(status.body)));
  } else if (status.state === 'error') parts.push(h('p', { class: 'bad' }, status.message));
  if (ds.state === 'ok') {
    const records = dsRecordsOf(ds.body);
    parts.push(h('h3', {}, 'DS records for the parent zone'));
    parts.push(records.length === 0 ? h('p', { class: 'muted' }, 'None.') : h('ul', {}, records.map((r) => h('li', { class: 'mono' }, r.ds_record))));
  } else if (ds.state === 'error') parts.push(h('p', { class: 'bad' }, ds.message));
  if (sync.state === 'ok') {
    const body = sync.body;
    parts.push(h('h3', {}, 'Key sync'));
    parts.push(h('p', { class: body.enabled ? 'ok' : 'muted' }, body.enabled ? `enabled, polling every ${formatAge(body.poll_interval_seconds)}` : `off${body.reason ? `: ${body.reason}` : ''}`));
    const peers = syncPeerRows(body, now);
    if (peers.length > 0) {
      parts.push(
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ['Peer', 'Last success', 'Failures', 'Keys adopted', 'Last error'].map((t) => h('th', {}, t)))),
          h('tbody', {}, peers.map((p) => h('tr', { class: p.ok ? '' : 'row-bad' }, h('td', { class: 'mono' }, p.peer), h('td', { class: p.ok ? 'ok' : 'bad' }, p.last_success), h('td', { class: 'num' }, p.failures), h('td', { class: 'num' }, p.keys_adopted), h('td', {}, p.last_error)))),
        ),
      );
    }
  } else if (sync.state === 'error') parts.push(h('p', { class: 'bad' }, sync.message));
  box.replaceChildren(...parts);
}

function renderGossip(state) {
  const g = featureOf(state.gossip_members);
  const box = $('gossip');
  if (g.state === 'absent') box.replaceChildren(h('p', { class: 'muted' }, 'This Overwatch has no gossip membership API.'));
  else if (g.state === 'off') box.replaceChildren(h('p', { class: 'muted' }, g.message));
  else if (g.state === 'error') box.replaceChildren(h('p', { class: 'bad' }, g.message));
  else box.replaceChildren(genericTable(firstListOf(g.body), ['name', 'node_id', 'address', 'state', 'status', 'region']));
}

function render(state) {
  view.state = state;
  renderHeader(state);
  renderCards(state);
  renderBackends(state);
  renderAgents(state);
  renderOverrides(state);
  renderDns(state);
  renderDnssec(state);
  renderGossip(state);
  tickAges();
}

/** Ages and uptime move with the clock between events. */
function tickAges() {
  const now = serverNow();
  const uptime = $('uptime');
  if (uptime.dataset.since) uptime.textContent = formatAge(secondsSince(uptime.dataset.since, now));
  for (const el of document.querySelectorAll('td[data-since]')) {
    if (el.dataset.since) el.textContent = formatAge(secondsSince(el.dataset.since, now));
  }
}

// ---- writes -------------------------------------------------------------------------------

function writeHeaders() {
  const headers = { 'content-type': 'application/json' };
  const user = $('user').value.trim();
  if (user !== '') headers['x-user'] = user;
  return headers;
}

async function apiWrite(method, url, body) {
  const res = await fetch(url, { method, headers: writeHeaders(), body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.ok) return;
  let message = `HTTP ${res.status}`;
  try {
    const json = await res.json();
    if (typeof json.error === 'string') message = `${res.status} ${json.error}`;
  } catch {
    // not JSON: keep the status
  }
  throw new Error(message);
}

let overrideTarget = null;

function openOverride(b) {
  overrideTarget = b;
  $('od-title').textContent = b.override ? 'Change override' : 'Set override';
  $('od-target').textContent = `${b.service} — ${b.backend}`;
  $('od-reason').value = '';
  $('od-port-only').checked = false;
  $('od-error').hidden = true;
  $('override-dialog').showModal();
  $('od-reason').focus();
}

async function submitOverride(event) {
  event.preventDefault();
  const b = overrideTarget;
  if (!b) return;
  const reason = $('od-reason').value.trim();
  const healthy = $('override-form').elements.healthy.value === 'true';
  const port = $('od-port-only').checked ? b.port : null;
  const button = $('od-submit');
  button.disabled = true;
  try {
    await apiWrite('PUT', overridePath(b.service, b.address, port), { healthy, reason });
    $('override-dialog').close();
    notice(`Override set: ${b.service} ${b.backend} marked ${healthy ? 'healthy' : 'unhealthy'}.`, 'ok');
  } catch (err) {
    $('od-error').textContent = `Not set: ${err.message}`;
    $('od-error').hidden = false;
  } finally {
    button.disabled = false;
  }
}

let clearTarget = null;

function openClear(o) {
  clearTarget = o;
  $('cd-target').textContent = `${o.service} — ${o.port === null ? `${o.address} (all ports)` : `${o.address}:${o.port}`} (${o.healthy ? 'healthy' : 'unhealthy'}${o.reason ? `: ${o.reason}` : ''})`;
  $('cd-reason').value = '';
  $('cd-error').hidden = true;
  $('clear-dialog').showModal();
  $('cd-reason').focus();
}

async function submitClear(event) {
  event.preventDefault();
  const o = clearTarget;
  if (!o) return;
  const reason = $('cd-reason').value.trim();
  const button = $('cd-submit');
  button.disabled = true;
  try {
    // The API takes no body on DELETE; the reason rides in the query so the Overwatch's request log keeps it.
    const path = overridePath(o.service, o.address, o.port);
    await apiWrite('DELETE', `${path}${path.includes('?') ? '&' : '?'}reason=${encodeURIComponent(reason)}`);
    $('clear-dialog').close();
    notice(`Override cleared: ${o.service} ${o.address}. Checks decide again.`, 'ok');
  } catch (err) {
    $('cd-error').textContent = `Not cleared: ${err.message}`;
    $('cd-error').hidden = false;
  } finally {
    button.disabled = false;
  }
}

// ---- live feed ----------------------------------------------------------------------------

function connect() {
  const source = new EventSource('/api/v1/events');
  source.addEventListener('open', () => setBadge($('connection'), 'live', 'ok'));
  source.addEventListener('state', (event) => {
    const state = JSON.parse(event.data);
    view.offsetMs = clockOffsetMs(state.generated_at, Date.now());
    render(state);
    document.body.dataset.seq = event.lastEventId;
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setBadge($('connection'), 'disconnected', 'bad');
      notice('The event stream was refused (is this address in api.allowed_networks?). Reload to retry.', 'bad');
    } else {
      setBadge($('connection'), 'reconnecting…', 'warn');
    }
  });
}

function start() {
  const user = $('user');
  user.value = localStorage.getItem('opengslb.user') ?? '';
  user.addEventListener('change', () => localStorage.setItem('opengslb.user', user.value.trim()));
  $('filter').addEventListener('input', (e) => {
    view.filter = e.target.value;
    if (view.state) renderBackends(view.state);
  });
  $('override-form').addEventListener('submit', submitOverride);
  $('clear-form').addEventListener('submit', submitClear);
  $('od-cancel').addEventListener('click', () => $('override-dialog').close());
  $('cd-cancel').addEventListener('click', () => $('clear-dialog').close());
  setInterval(tickAges, 1000);
  connect();
}

start();
