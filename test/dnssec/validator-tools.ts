/**
 * Real validators for tests: delv (BIND 9) with a static-ds trust anchor, and unbound as a
 * validating resolver stub-forwarding the zone to the server under test. 127.0.0.1 only; nothing
 * leaves the machine (the root stub points at an unused port). Tests skip when a tool is missing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import dgram from 'node:dgram';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export function hasTool(name: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin'].some((d) => existsSync(path.join(d, name)));
}

export interface DsLine {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: string;
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-dnssec-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a delv `trust-anchors` file for `zone` and returns its path. */
export function writeDelvAnchor(dir: string, zone: string, ds: DsLine): string {
  const file = path.join(dir, 'anchor.conf');
  writeFileSync(file, `trust-anchors {\n    ${zone}. static-ds ${ds.keyTag} ${ds.algorithm} ${ds.digestType} "${ds.digest}";\n};\n`);
  return file;
}

/** delv's stdout and stderr together (its verdict comments go to either). */
export async function delv(port: number, anchorFile: string, zone: string, name: string, type: string, extra: string[] = []): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(
      'delv',
      ['@127.0.0.1', '-p', String(port), '-a', anchorFile, `+root=${zone}`, ...extra, name, type],
      { timeout: 15_000 },
    );
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return (e.stdout ?? '') + (e.stderr ?? '');
  }
}

/** A port free for UDP and for TCP on 127.0.0.1 (unbound opens both; a busy machine has many TCP listeners). */
async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const sock = dgram.createSocket('udp4');
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const { port } = sock.address();
    const tcp = net.createServer();
    const tcpFree = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(true));
    });
    if (tcpFree) await new Promise((r) => tcp.close(r));
    sock.close();
    if (tcpFree || attempt >= 20) return port;
  }
}

export interface Unbound {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts unbound validating `zone` against `ds`, with the zone stubbed to 127.0.0.1@serverPort (or
 * to several servers: unbound then spreads queries over them, so its cache mixes their answers).
 */
export async function startUnbound(serverPort: number | number[], zone: string, ds: DsLine): Promise<Unbound> {
  const { dir, remove } = tempDir();
  const port = await freeUdpPort();
  writeFileSync(path.join(dir, 'ta.ds'), `${zone}. IN DS ${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${ds.digest}\n`);
  const conf = path.join(dir, 'unbound.conf');
  writeFileSync(
    conf,
    `server:
    interface: 127.0.0.1
    port: ${port}
    do-ip6: no
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "${dir}"
    pidfile: "${dir}/unbound.pid"
    use-syslog: no
    logfile: "${dir}/unbound.log"
    verbosity: 1
    val-log-level: 2
    module-config: "validator iterator"
    trust-anchor-file: "${dir}/ta.ds"
    trust-anchor-signaling: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    qname-minimisation: no
stub-zone:
    name: "${zone}."
${[serverPort].flat().map((p) => `    stub-addr: 127.0.0.1@${p}`).join('\n')}
stub-zone:
    name: "."
    stub-addr: 127.0.0.1@9
remote-control:
    control-enable: no
`,
  );
  const child: ChildProcess = spawn('unbound', ['-c', conf], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  // Ready when it answers on TCP (it opens UDP and TCP together).
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      remove();
      throw new Error(`unbound did not start: ${existsSync(path.join(dir, 'unbound.log')) ? readFileSync(path.join(dir, 'unbound.log'), 'utf8') : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    log: () => (existsSync(path.join(dir, 'unbound.log')) ? readFileSync(path.join(dir, 'unbound.log'), 'utf8') : ''),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      remove();
    },
  };
}

/** dig through a resolver; returns stdout. */
export async function digVia(port: number, name: string, type: string, extra: string[] = []): Promise<string> {
  const { stdout } = await execFileAsync('dig', ['@127.0.0.1', '-p', String(port), '+dnssec', '+tries=1', '+time=5', ...extra, name, type], { timeout: 15_000 });
  return stdout;
}
