/**
 * Runs the real `bin/opengslb` as a child process for end-to-end tests, reading its JSON log lines
 * so tests can await what it says (listening, reloaded, health changed) instead of sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'opengslb');

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** Children still running when the test file's process exits (a timed-out test) are killed then. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export class OpengslbProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stderr = '';
  #waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  /** `launcher` runs the binary through another command (e.g. `nsenter -t PID -m` for a mount namespace). */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, launcher: string[] = []) {
    const [command, ...prefix] = [...launcher, BIN];
    this.child = spawn(command!, [...prefix, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { level: 30, msg: text };
        }
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.pred(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    running.add(this.child);
    this.exited = once(this.child, 'exit').then(([code]) => {
      running.delete(this.child);
      return code as number | null;
    });
  }

  /** Resolves with the first log line (past or future) matching `pred`; rejects after timeoutMs or on exit. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs}ms; stderr: ${this.stderr}\nlog: ${this.lines.map((l) => l.msg).join(' | ')}`)), timeoutMs);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`opengslb exited (${code}) before the expected log line; stderr: ${this.stderr}`));
      });
      this.#waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  async dnsPort(): Promise<number> {
    const line = await this.waitForLog((l) => l.msg === 'overwatch serving DNS');
    return Number(String(line.dns).split(':').pop());
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    return this.exited;
  }
}

/** A temp directory with config files written 0600, removed by cleanup(). */
export class TempConfigDir {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'opengslb-test-'));
  write(name: string, text: string, mode = 0o600): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  }
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
