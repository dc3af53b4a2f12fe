export interface Closeable {
  close(): Promise<void>;
}

/** Owns Closeables and closes them last-opened-first; one failure does not stop the others. */
export class Lifecycle implements Closeable {
  #stack: Closeable[] = [];
  #closing?: Promise<void>;
  own<T extends Closeable>(c: T): T {
    this.#stack.push(c);
    return c;
  }
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const errors: unknown[] = [];
      for (const c of this.#stack.toReversed()) {
        try {
          await c.close();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'close failed');
    })();
    return this.#closing;
  }
}
