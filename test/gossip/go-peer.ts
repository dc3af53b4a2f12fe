/**
 * Builds (once, on demand, offline) and runs the Go memberlist interop peer from
 * ./memberlist-peer/main.go. Every process is bounded by -max-seconds and stopped by its PID.
 * `goPeerBinary()` returns a skip reason instead of a path when Go or memberlist are missing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { access, copyFile, mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(HERE, 'memberlist-peer', 'main.go');
const GOPATH = '/usr/share/gocode';
const MEMBERLIST_SRC = join(GOPATH, 'src/github.com/hashicorp/memberlist');

let cached: Promise<{ path?: string; skip?: string }> | undefined;

/** Path of a built peer, or `skip` saying why interop tests cannot run here. */
export function goPeerBinary(): Promise<{ path?: string; skip?: string }> {
  cached ??= (async () => {
    if (process.env.MEMBERLIST_PEER) return { path: process.env.MEMBERLIST_PEER };
    try {
      await run('go', ['version']);
    } catch {
      return { skip: 'Go interop tests skipped: `go` not found (apt-get install golang-go golang-github-hashicorp-memberlist-dev)' };
    }
    try {
      await access(MEMBERLIST_SRC);
    } catch {
      return { skip: `Go interop tests skipped: memberlist sources not found at ${MEMBERLIST_SRC} (apt-get install golang-github-hashicorp-memberlist-dev)` };
    }
    const src = await readFile(SOURCE);
    const dir = join(tmpdir(), `opengslb-mlpeer-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
    const bin = join(dir, 'memberlist-peer');
    try {
      await access(bin);
      return { path: bin };
    } catch {
      // not built yet
    }
    await mkdir(dir, { recursive: true });
    await copyFile(SOURCE, join(dir, 'main.go'));
    try {
      await run('go', ['build', '-o', bin, '.'], {
        cwd: dir,
        timeout: 180_000,
        env: {
          ...process.env,
          GO111MODULE: 'off',
          GOPATH,
          GOPROXY: 'off',
          GOFLAGS: '',
          GOTOOLCHAIN: 'local',
          GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'opengslb-go-build-cache'),
        },
      });
    } catch (err) {
      return { skip: `Go interop tests skipped: building the memberlist peer failed: ${(err as Error).message}` };
    }
    return { path: bin };
  })();
  return cached;
}

/** A port free for both UDP and TCP on 127.0.0.1 right now (the Go peer needs a fixed port). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => srv.close(() => r()));
    if (ok) return port;
  }
  throw new Error('no free port for the Go peer');
}

export interface GoPeerOptions {
  name: string;
  port: number;
  /** base64 key; default the peer's built-in "OpenGSLB-test-key-32-bytes-long!". */
  keyBase64?: string;
  join?: string[];
  sendEvery?: string;
  meta?: string;
  maxSeconds?: number;
}

export class GoPeer {
  readonly name: string;
  readonly port: number;
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  readonly #proc: ChildProcess;
  readonly exited: Promise<number | null>;
  #waiters = new Set<() => void>();

  private constructor(proc: ChildProcess, name: string, port: number) {
    this.#proc = proc;
    this.name = name;
    this.port = port;
    const collect = (into: string[]) => {
      let partial = '';
      return (chunk: Buffer): void => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop() ?? '';
        into.push(...parts);
        for (const w of this.#waiters) w();
      };
    };
    proc.stdout!.on('data', collect(this.lines));
    proc.stderr!.on('data', collect(this.errLines));
    this.exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  }

  static start(bin: string, o: GoPeerOptions): GoPeer {
    const args = ['-name', o.name, '-port', String(o.port), '-send-every', o.sendEvery ?? '0', '-max-seconds', String(o.maxSeconds ?? 30)];
    if (o.keyBase64) args.push('-key', o.keyBase64);
    if (o.join?.length) args.push('-join', o.join.join(','));
    if (o.meta !== undefined) args.push('-meta', o.meta);
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new GoPeer(proc, o.name, o.port);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  has(re: RegExp, stream: 'out' | 'err' = 'out'): boolean {
    return (stream === 'out' ? this.lines : this.errLines).some((l) => re.test(l));
  }

  /** Waits until a stdout (or stderr) line matches; rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number, stream: 'out' | 'err' = 'out'): Promise<string> {
    const find = (): string | undefined => (stream === 'out' ? this.lines : this.errLines).find((l) => re.test(l));
    const hit = find();
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`Go peer ${this.name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-8).join('\n')}`));
      }, timeoutMs);
      const check = (): void => {
        const h = find();
        if (h) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve(h);
        }
      };
      this.#waiters.add(check);
    });
  }

  /** Stops the peer by PID: SIGTERM = graceful leave, SIGKILL = crash. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGKILL'): Promise<void> {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill(signal);
    await this.exited;
  }
}
