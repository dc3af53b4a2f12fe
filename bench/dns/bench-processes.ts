/**
 * The processes a load bench starts, each remembered by PID and stopped by that PID (SIGTERM, then
 * SIGKILL after a grace period), at the end, on error, on SIGINT/SIGTERM and at the bench's deadline.
 * Nothing is ever stopped by name. dnsperf runs are started in their own process group (detached), so
 * an aborted run is stopped by its group id, which is its own PID.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

export interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Kill the whole process group (the child was started detached). */
  group: boolean;
}

export class ProcessSet {
  readonly #running = new Map<number, Started>();
  #stopping?: Promise<void>;

  /** Spawns `cmd args`; `group` = own process group (stopped as a group). */
  spawn(name: string, cmd: string, args: string[], opts: SpawnOptions = {}, group = false): Started {
    const child = spawn(cmd, args, { ...opts, detached: group });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
    const s: Started = { name, child, pid: child.pid, group };
    this.#running.set(s.pid, s);
    child.once('exit', () => this.#running.delete(s.pid));
    return s;
  }

  isRunning(pid: number): boolean {
    return this.#running.has(pid);
  }

  async stop(s: Started, graceMs = 5000): Promise<void> {
    if (!this.#running.has(s.pid)) return;
    const exited = once(s.child, 'exit');
    signal(s, 'SIGTERM');
    const timer = setTimeout(() => signal(s, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Stops everything still running, in reverse order of start. Idempotent. */
  stopAll(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const s of [...this.#running.values()].reverse()) await this.stop(s);
    })();
    return this.#stopping;
  }
}

function signal(s: Started, sig: NodeJS.Signals): void {
  try {
    process.kill(s.group ? -s.pid : s.pid, sig);
  } catch {
    // already gone
  }
}
