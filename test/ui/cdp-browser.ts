/**
 * Just enough of the Chrome DevTools Protocol to drive Debian's `chromium` headless from a test
 * (playwright-core is not installed): start the browser, open a page, navigate, evaluate
 * JavaScript in it, wait for a condition, take a screenshot. Node's global WebSocket carries CDP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

export class CdpPage {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  readonly consoleErrors: string[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: any };
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method === 'Runtime.exceptionThrown') {
        this.consoleErrors.push(JSON.stringify(msg.params.exceptionDetails));
      } else if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') {
        this.consoleErrors.push(msg.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' '));
      }
    });
  }

  static async connect(wsUrl: string): Promise<CdpPage> {
    const ws = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${wsUrl}`)), { once: true });
    });
    const page = new CdpPage(ws);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    return page;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async navigate(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
    await this.waitFor('document.readyState === "complete"');
  }

  /** The value of `expression` evaluated in the page (promises awaited). */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(`${r.exceptionDetails.text}: ${r.exceptionDetails.exception?.description ?? ''}`);
    return r.result.value;
  }

  /** Resolves with the time it took once `expression` is truthy; rejects after timeoutMs. */
  async waitFor(expression: string, timeoutMs = 5000): Promise<number> {
    const started = Date.now();
    for (;;) {
      if (await this.evaluate<boolean>(`Boolean(${expression})`)) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs}ms waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async screenshot(): Promise<Buffer> {
    const r = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true })) as { data: string };
    return Buffer.from(r.data, 'base64');
  }

  close(): void {
    this.#ws.close();
  }
}

export class Browser {
  readonly #child: ChildProcess;
  readonly #profile: string;
  readonly devtoolsPort: number;

  private constructor(child: ChildProcess, profile: string, port: number) {
    this.#child = child;
    this.#profile = profile;
    this.devtoolsPort = port;
  }

  static async launch(executable: string, { width = 1400, height = 1000 } = {}): Promise<Browser> {
    const profile = mkdtempSync(path.join(tmpdir(), 'opengslb-chromium-'));
    const child = spawn(
      executable,
      [
        '--headless=new',
        '--no-sandbox', // tests run as root in a container
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--no-default-browser-check',
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${text}`)), 20_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited (${code}): ${text}`));
      });
    });
    return new Browser(child, profile, port);
  }

  async newPage(): Promise<CdpPage> {
    const res = await fetch(`http://127.0.0.1:${this.devtoolsPort}/json/new?about:blank`, { method: 'PUT' });
    const target = (await res.json()) as { webSocketDebuggerUrl: string };
    return CdpPage.connect(target.webSocketDebuggerUrl);
  }

  async close(): Promise<void> {
    if (this.#child.exitCode === null) {
      const exited = new Promise((r) => this.#child.once('exit', r));
      this.#child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.#profile, { recursive: true, force: true });
  }
}
