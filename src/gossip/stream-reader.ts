/**
 * Exact-length reads from a stream (`net.Socket` or an in-memory duplex). memberlist streams carry
 * one message whose frame says how long it is, so reading N bytes or failing is all we need.
 */
import type { Duplex } from 'node:stream';
import { OpenGslbError } from '../errors.ts';

export class StreamClosedError extends OpenGslbError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_GOSSIP_STREAM_CLOSED', message, options);
  }
}

export class StreamReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      this.#notify();
    });
    stream.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    stream.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
    stream.on('error', (err: Error) => {
      this.#error = err;
      this.#notify();
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Resolves with exactly `n` bytes, or rejects when the stream ends or fails first. */
  async read(n: number): Promise<Buffer> {
    while (this.#buffered < n) {
      if (this.#error) throw new StreamClosedError(`stream failed after ${this.#buffered} of ${n} bytes`, { cause: this.#error });
      if (this.#ended) throw new StreamClosedError(`stream ended after ${this.#buffered} of ${n} bytes`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    const all = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return out;
  }
}
