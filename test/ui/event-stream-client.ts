/** Reads /api/v1/events in the background and lets a test await the state it expects. */
import { readSse } from '../../src/cli/opengslb-cli/sse-reader.ts';

export interface StateFrame {
  id?: string;
  state: Record<string, any>;
  atMs: number;
}

export class EventStreamClient {
  readonly frames: StateFrame[] = [];
  readonly response: Response;
  readonly #abort: AbortController;
  readonly done: Promise<void>;
  #waiters: { pred: (s: Record<string, any>) => boolean; resolve: (f: StateFrame) => void }[] = [];

  private constructor(response: Response, abort: AbortController) {
    this.response = response;
    this.#abort = abort;
    this.done = (async () => {
      try {
        for await (const msg of readSse(response.body!)) {
          if (msg.event !== 'state') continue;
          const frame = { id: msg.id, state: JSON.parse(msg.data) as Record<string, any>, atMs: Date.now() };
          this.frames.push(frame);
          this.#waiters = this.#waiters.filter((w) => {
            if (!w.pred(frame.state)) return true;
            w.resolve(frame);
            return false;
          });
        }
      } catch {
        // aborted by close(), or the server went away: the test looks at what arrived
      }
    })();
  }

  static async open(url: string): Promise<EventStreamClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    return new EventStreamClient(response, abort);
  }

  /** The first frame (past or future) whose state satisfies `pred`. */
  waitFor(pred: (s: Record<string, any>) => boolean, timeoutMs = 5000): Promise<StateFrame> {
    const seen = this.frames.find((f) => pred(f.state));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching state within ${timeoutMs}ms; ${this.frames.length} frame(s) seen`)), timeoutMs);
      this.#waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }
}
