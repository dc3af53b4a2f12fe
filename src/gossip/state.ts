/**
 * The membership table and its state machine (MEMBERLIST.md sections 4.3, 4.4, 4.8 and 3.3), a port
 * of memberlist state.go's aliveNode / suspectNode / deadNode / mergeState / refute / verifyProtocol.
 *
 * Pure: time comes in as `nowMs`, randomness as a function, and every consequence that needs the
 * outside world (queue a broadcast, emit an event, arm or cancel a suspicion timer, worsen our
 * health score) is pushed onto an `effects` array for the runtime to carry out. The table owns our
 * incarnation number; it never sends anything itself.
 */
import {
  NodeStateCode,
  encodeAlive,
  encodeDead,
  encodeSuspect,
  type Accusation,
  type Alive,
  type PushNodeState,
} from './codec.ts';
import { Suspicion, expectedConfirmations, suspicionTimeoutMs } from './suspicion.ts';
import { ownBytes } from './own-bytes.ts';

export interface NodeRecord {
  name: string;
  /** IP bytes exactly as the node advertised them (4 or 16); compared byte-wise like Go. */
  addr: Buffer;
  port: number;
  meta: Buffer;
  incarnation: number;
  state: NodeStateCode;
  stateChangeMs: number;
  /** [pMin, pMax, pCur, dMin, dMax, dCur] as advertised (may be empty for very old peers). */
  vsn: Buffer;
}

export type StateEffect =
  /** Queue a membership broadcast keyed by node name; `onFinished` when sent out or replaced. */
  | { kind: 'broadcast'; node: string; msg: Buffer; onFinished?: () => void }
  | { kind: 'join' | 'leave' | 'update'; node: NodeRecord }
  /** We refuted an accusation: the runtime worsens its health score by one. */
  | { kind: 'refuted'; accusedIncarnation: number }
  /** (Re)arm the suspicion timer of `node` to fire after `delayMs` (<= 0: now). */
  | { kind: 'suspicion-timer'; node: string; delayMs: number }
  | { kind: 'suspicion-cancel'; node: string }
  /** An alive message tried to move a live node to another address; ignored (Go logs it). */
  | { kind: 'conflict'; node: NodeRecord; addr: Buffer; port: number };

export interface StateConfig {
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  probeIntervalMs: number;
  /** memberlist DeadNodeReclaimTime; 0 = only left nodes may change address. */
  deadNodeReclaimTimeMs: number;
}

export interface LocalNode {
  name: string;
  addr: Buffer;
  port: number;
  meta: Buffer;
  vsn: Buffer;
}

function copyRecord(n: NodeRecord): NodeRecord {
  return { ...n };
}

function isDeadOrLeft(n: NodeRecord): boolean {
  return n.state === NodeStateCode.Dead || n.state === NodeStateCode.Left;
}

/** Protocol max a node advertised (0 if unknown): decides nack, TCP ping and CRC use. */
export function protocolMax(n: NodeRecord): number {
  return n.vsn.length > 1 ? n.vsn[1] : 0;
}

export class NodeTable {
  readonly localName: string;
  readonly config: StateConfig;
  /** Probe order; new nodes are inserted at a random position, as Go does. */
  readonly nodes: NodeRecord[] = [];
  readonly #map = new Map<string, NodeRecord>();
  readonly #suspicions = new Map<string, { suspicion: Suspicion; changeMs: number }>();
  readonly #random: () => number;
  #incarnation = 0;
  #leaving = false;

  constructor(local: LocalNode, config: StateConfig, nowMs: number, random: () => number = Math.random) {
    this.localName = local.name;
    this.config = config;
    this.#random = random;
    // memberlist setAlive(): incarnation 1, applied as a bootstrap alive (no refutation, no event).
    const effects: StateEffect[] = [];
    this.aliveNode(
      { incarnation: this.nextIncarnation(), node: local.name, addr: local.addr, port: local.port, meta: local.meta, vsn: local.vsn },
      nowMs,
      effects,
      { bootstrap: true },
    );
    this.#bootstrapEffects = effects.filter((e) => e.kind === 'broadcast');
  }

  readonly #bootstrapEffects: StateEffect[];

  /** The broadcast of our first alive, for the runtime to queue at start (Go queues it too). */
  takeBootstrapEffects(): StateEffect[] {
    return this.#bootstrapEffects.splice(0);
  }

  get(name: string): NodeRecord | undefined {
    return this.#map.get(name);
  }

  get local(): NodeRecord {
    return this.#map.get(this.localName)!;
  }

  /** Cluster size estimate: every node in the table, including us and not-yet-reaped dead ones. */
  get numNodes(): number {
    return this.nodes.length;
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  get isLeaving(): boolean {
    return this.#leaving;
  }

  nextIncarnation(): number {
    this.#incarnation = (this.#incarnation + 1) >>> 0;
    return this.#incarnation;
  }

  #aliveVsn(): Buffer {
    return this.local.vsn;
  }

  /** memberlist refute(): outbid the accusation and broadcast a fresh alive about ourselves. */
  #refute(me: NodeRecord, accusedInc: number, effects: StateEffect[]): void {
    let inc = this.nextIncarnation();
    if (accusedInc >= inc) {
      inc = (accusedInc + 1) >>> 0;
      this.#incarnation = inc;
    }
    me.incarnation = inc;
    effects.push({ kind: 'refuted', accusedIncarnation: accusedInc });
    const msg = encodeAlive({ incarnation: inc, node: me.name, addr: me.addr, port: me.port, meta: me.meta, vsn: this.#aliveVsn() });
    effects.push({ kind: 'broadcast', node: me.name, msg });
  }

  #cancelSuspicion(name: string, effects: StateEffect[]): void {
    if (this.#suspicions.delete(name)) effects.push({ kind: 'suspicion-cancel', node: name });
  }

  /** memberlist aliveNode(). `bootstrap` is set for our own start and our own meta updates. */
  aliveNode(a: Alive, nowMs: number, effects: StateEffect[], opts: { bootstrap?: boolean; onFinished?: () => void } = {}): void {
    const isLocal = a.node === this.localName;
    // An alive about us queued before Leave() must not bring us back.
    if (this.#leaving && isLocal) return;
    if (a.vsn.length >= 3) {
      const [pMin, pMax] = [a.vsn[0], a.vsn[1]];
      if (pMin === 0 || pMax === 0 || pMin > pMax) return;
    }
    let state = this.#map.get(a.node);
    let updatesNode = false;
    if (!state) {
      // Kept for the member's lifetime: copies of their own, not views of the received packet's pool slab.
      state = {
        name: a.node,
        addr: ownBytes(a.addr),
        port: a.port,
        meta: ownBytes(a.meta),
        incarnation: 0,
        state: NodeStateCode.Dead,
        stateChangeMs: nowMs,
        vsn: a.vsn.length > 5 ? ownBytes(a.vsn) : Buffer.alloc(0),
      };
      this.#map.set(a.node, state);
      // Random insertion keeps the failure-detection bound low on average (Go's randomOffset).
      const n = this.nodes.length;
      const offset = n === 0 ? 0 : Math.floor(this.#random() * n);
      this.nodes.push(state);
      [this.nodes[offset], this.nodes[n]] = [this.nodes[n], this.nodes[offset]];
    } else if (!state.addr.equals(a.addr) || state.port !== a.port) {
      const canReclaim =
        this.config.deadNodeReclaimTimeMs > 0 && nowMs - state.stateChangeMs > this.config.deadNodeReclaimTimeMs;
      if (state.state === NodeStateCode.Left || (state.state === NodeStateCode.Dead && canReclaim)) {
        updatesNode = true;
      } else {
        effects.push({ kind: 'conflict', node: copyRecord(state), addr: a.addr, port: a.port });
        return;
      }
    }
    if (a.incarnation <= state.incarnation && !isLocal && !updatesNode) return;
    if (a.incarnation < state.incarnation && isLocal) return;

    this.#cancelSuspicion(a.node, effects);
    const oldState = state.state;
    const oldMeta = state.meta;

    if (!opts.bootstrap && isLocal) {
      // Same incarnation and same content is our own alive echoed back: nothing to refute.
      if (a.incarnation === state.incarnation && a.meta.equals(state.meta) && a.vsn.equals(state.vsn)) return;
      this.#refute(state, a.incarnation, effects);
    } else {
      effects.push({ kind: 'broadcast', node: a.node, msg: encodeAlive(a), onFinished: opts.onFinished });
      if (a.vsn.length > 0 && !a.vsn.equals(state.vsn)) state.vsn = ownBytes(a.vsn);
      state.incarnation = a.incarnation;
      if (!a.meta.equals(state.meta)) state.meta = ownBytes(a.meta);
      if (!a.addr.equals(state.addr)) state.addr = ownBytes(a.addr);
      state.port = a.port;
      if (state.state !== NodeStateCode.Alive) {
        state.state = NodeStateCode.Alive;
        state.stateChangeMs = nowMs;
      }
    }
    if (isLocal && opts.bootstrap) return; // no events about ourselves
    if (oldState === NodeStateCode.Dead || oldState === NodeStateCode.Left) {
      if (state.state === NodeStateCode.Alive) effects.push({ kind: 'join', node: copyRecord(state) });
    } else if (!oldMeta.equals(state.meta)) {
      effects.push({ kind: 'update', node: copyRecord(state) });
    }
  }

  /** memberlist suspectNode(). */
  suspectNode(s: Accusation, nowMs: number, effects: StateEffect[]): void {
    const state = this.#map.get(s.node);
    if (!state) return;
    if (s.incarnation < state.incarnation) return;
    const running = this.#suspicions.get(s.node);
    if (running) {
      // A new accuser confirms the suspicion: shorten the timer and re-gossip the news.
      const remaining = running.suspicion.confirm(s.from, nowMs);
      if (remaining !== undefined) {
        effects.push({ kind: 'broadcast', node: s.node, msg: encodeSuspect(s) });
        effects.push({ kind: 'suspicion-timer', node: s.node, delayMs: remaining });
      }
      return;
    }
    if (state.state !== NodeStateCode.Alive) return;
    if (state.name === this.localName) {
      this.#refute(state, s.incarnation, effects);
      return;
    }
    effects.push({ kind: 'broadcast', node: s.node, msg: encodeSuspect(s) });
    state.incarnation = s.incarnation;
    state.state = NodeStateCode.Suspect;
    state.stateChangeMs = nowMs;

    const n = this.numNodes;
    const k = expectedConfirmations(this.config.suspicionMult, n);
    const min = suspicionTimeoutMs(this.config.suspicionMult, n, this.config.probeIntervalMs);
    const max = this.config.suspicionMaxTimeoutMult * min;
    const suspicion = new Suspicion(s.from, k, min, max, nowMs);
    this.#suspicions.set(s.node, { suspicion, changeMs: nowMs });
    effects.push({ kind: 'suspicion-timer', node: s.node, delayMs: suspicion.initialTimeoutMs });
  }

  /** The suspicion timer of `name` fired: declare it dead if nothing changed since. */
  expireSuspicion(name: string, nowMs: number, effects: StateEffect[]): void {
    const entry = this.#suspicions.get(name);
    const state = this.#map.get(name);
    if (!entry || !state) return;
    if (state.state !== NodeStateCode.Suspect || state.stateChangeMs !== entry.changeMs) return;
    this.deadNode({ incarnation: state.incarnation, node: name, from: this.localName }, nowMs, effects);
  }

  /** memberlist deadNode(). A dead whose From equals Node is a voluntary leave. */
  deadNode(d: Accusation, nowMs: number, effects: StateEffect[], onFinished?: () => void): void {
    const state = this.#map.get(d.node);
    if (!state) return;
    if (d.incarnation < state.incarnation) return;
    this.#cancelSuspicion(d.node, effects);
    if (isDeadOrLeft(state)) return;
    if (state.name === this.localName) {
      if (!this.#leaving) {
        this.#refute(state, d.incarnation, effects);
        return;
      }
      effects.push({ kind: 'broadcast', node: d.node, msg: encodeDead(d), onFinished });
    } else {
      effects.push({ kind: 'broadcast', node: d.node, msg: encodeDead(d) });
    }
    state.incarnation = d.incarnation;
    state.state = d.node === d.from ? NodeStateCode.Left : NodeStateCode.Dead;
    state.stateChangeMs = nowMs;
    if (state.name !== this.localName) effects.push({ kind: 'leave', node: copyRecord(state) });
  }

  /** Starts a voluntary leave: our own dead message, `onFinished` once it has been gossiped. */
  leave(nowMs: number, effects: StateEffect[], onFinished?: () => void): void {
    this.#leaving = true;
    const me = this.local;
    this.deadNode({ incarnation: me.incarnation, node: me.name, from: me.name }, nowMs, effects, onFinished);
  }

  /** New metadata for ourselves: a higher incarnation and an alive broadcast (memberlist UpdateNode). */
  updateLocalMeta(meta: Buffer, nowMs: number, effects: StateEffect[], onFinished?: () => void): void {
    const me = this.local;
    const a: Alive = { incarnation: this.nextIncarnation(), node: me.name, addr: me.addr, port: me.port, meta, vsn: me.vsn };
    this.aliveNode(a, nowMs, effects, { bootstrap: true, onFinished });
  }

  /** memberlist mergeState(): what a push/pull brought in. A remote "dead" only makes us suspect. */
  mergeState(remote: readonly PushNodeState[], nowMs: number, effects: StateEffect[]): void {
    for (const r of remote) {
      switch (r.state) {
        case NodeStateCode.Alive:
          this.aliveNode({ incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn }, nowMs, effects);
          break;
        case NodeStateCode.Left:
          this.deadNode({ incarnation: r.incarnation, node: r.name, from: r.name }, nowMs, effects);
          break;
        case NodeStateCode.Dead:
        case NodeStateCode.Suspect:
          this.suspectNode({ incarnation: r.incarnation, node: r.name, from: this.localName }, nowMs, effects);
          break;
        default:
          break;
      }
    }
  }

  /**
   * memberlist verifyProtocol(): every node of both lists must speak a protocol and delegate
   * version inside the range all alive nodes understand. Returns an error text or undefined.
   */
  verifyProtocol(remote: readonly PushNodeState[]): string | undefined {
    let maxPMin = 0;
    let minPMax = 255;
    let maxDMin = 0;
    let minDMax = 255;
    const widen = (vsn: Buffer): void => {
      if (vsn.length < 6) return;
      maxPMin = Math.max(maxPMin, vsn[0]);
      minPMax = Math.min(minPMax, vsn[1]);
      maxDMin = Math.max(maxDMin, vsn[3]);
      minDMax = Math.min(minDMax, vsn[4]);
    };
    for (const r of remote) if (r.state === NodeStateCode.Alive && r.vsn.length > 0) widen(r.vsn);
    for (const n of this.nodes) if (n.state === NodeStateCode.Alive) widen(n.vsn);
    const check = (name: string, vsn: Buffer): string | undefined => {
      const pCur = vsn.length > 2 ? vsn[2] : 0;
      const dCur = vsn.length > 5 ? vsn[5] : 0;
      if (pCur < maxPMin || pCur > minPMax) {
        return `node '${name}' protocol version (${pCur}) is incompatible: [${maxPMin}, ${minPMax}]`;
      }
      if (dCur < maxDMin || dCur > minDMax) {
        return `node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxDMin}, ${minDMax}]`;
      }
      return undefined;
    };
    for (const r of remote) {
      const err = check(r.name, r.vsn);
      if (err) return err;
    }
    for (const n of this.nodes) {
      const err = check(n.name, n.vsn);
      if (err) return err;
    }
    return undefined;
  }

  /** Everything we know, for a push/pull (Go sends every entry, dead and left ones included). */
  localState(): PushNodeState[] {
    return this.nodes.map((n) => ({
      name: n.name,
      addr: n.addr,
      port: n.port,
      meta: n.meta,
      incarnation: n.incarnation,
      state: n.state,
      vsn: n.vsn,
    }));
  }

  /**
   * memberlist resetNodes(): forget nodes dead or left for longer than `gossipToTheDeadMs`, then
   * shuffle the probe order. Returns the names removed.
   */
  reap(nowMs: number, gossipToTheDeadMs: number, effects: StateEffect[]): string[] {
    const removed: string[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.name === this.localName) continue;
      if (isDeadOrLeft(n) && nowMs - n.stateChangeMs > gossipToTheDeadMs) {
        this.nodes.splice(i, 1);
        this.#map.delete(n.name);
        this.#cancelSuspicion(n.name, effects);
        removed.push(n.name);
      }
    }
    for (let i = this.nodes.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [this.nodes[i], this.nodes[j]] = [this.nodes[j], this.nodes[i]];
    }
    return removed;
  }

  /**
   * Up to `k` random nodes not excluded by `exclude` (memberlist kRandomNodes: at most 3k tries).
   */
  randomNodes(k: number, exclude: (n: NodeRecord) => boolean): NodeRecord[] {
    const n = this.nodes.length;
    const out: NodeRecord[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const node = this.nodes[Math.floor(this.#random() * n)];
      if (exclude(node) || out.includes(node)) continue;
      out.push(node);
    }
    return out;
  }
}
