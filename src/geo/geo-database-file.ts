/**
 * The geolocation database file: read whole, parsed into a new MmdbDatabase, and only then made
 * `current` (one reference assignment), so a query never sees a half-loaded database. The
 * directory is watched (inotify via fs.watch): `geoipupdate` and `cp new tmp && mv tmp db`
 * replace the file atomically by rename, which fires there. A file that does not parse (a copy
 * still being written in place) leaves the previous database serving, and the next change event
 * tries again. Change detection compares size, mtime and inode, so touching the directory for
 * other files costs one stat.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Closeable } from '../lifecycle/index.ts';
import { GeoError, GeoErrorCode, MmdbDatabase } from './mmdb-database.ts';
import type { GeoDatabaseHolder } from './geo-locator.ts';

export interface GeoDatabaseFileOptions {
  /** Quiet time after the last change event before re-reading (editors write in bursts). */
  debounceMs?: number;
  onReload?: (db: MmdbDatabase) => void;
  onReloadError?: (err: Error) => void;
  /** Watch the file for replacement (default true). */
  watch?: boolean;
}

interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export class GeoDatabaseFile implements GeoDatabaseHolder, Closeable {
  readonly path: string;
  current: MmdbDatabase | null = null;
  /** Successful loads, the first included. */
  loads = 0;
  lastLoadedAtMs = 0;
  lastError?: string;
  #stamp?: FileStamp;
  #watcher?: FSWatcher;
  #timer?: NodeJS.Timeout;
  #reloading?: Promise<boolean>;
  #closed = false;
  #again = false;
  readonly #opts: GeoDatabaseFileOptions;

  private constructor(filePath: string, opts: GeoDatabaseFileOptions) {
    this.path = filePath;
    this.#opts = opts;
  }

  /** Loads the file (GeoError when it is missing or no MMDB: a start-up error) and starts watching it. */
  static async open(filePath: string, opts: GeoDatabaseFileOptions = {}): Promise<GeoDatabaseFile> {
    const file = new GeoDatabaseFile(path.resolve(filePath), opts);
    await file.#load();
    if (opts.watch !== false) file.#watch();
    return file;
  }

  async #load(): Promise<void> {
    let bytes: Buffer;
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(this.path);
      bytes = await readFile(this.path);
    } catch (err) {
      throw new GeoError(GeoErrorCode.Database, `geolocation.database_path ${this.path}: cannot read: ${(err as Error).message}`, { cause: err });
    }
    const db = new MmdbDatabase(bytes, `geolocation.database_path ${this.path}`);
    this.#stamp = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
    this.current = db;
    this.loads++;
    this.lastLoadedAtMs = Date.now();
    this.lastError = undefined;
  }

  #watch(): void {
    const dir = path.dirname(this.path);
    const base = path.basename(this.path);
    try {
      this.#watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name !== null && name !== base) return;
        this.#schedule();
      });
      this.#watcher.on('error', (err) => this.#opts.onReloadError?.(err));
    } catch (err) {
      this.#opts.onReloadError?.(err as Error);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.reloadIfChanged().catch((err: unknown) => this.#opts.onReloadError?.(err as Error));
    }, this.#opts.debounceMs ?? 100);
    this.#timer.unref();
  }

  /** Re-reads the file when its size, mtime or inode changed; true when a new database is now current. */
  reloadIfChanged(): Promise<boolean> {
    if (this.#reloading) {
      // A change during a reload: look again once this one is done.
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      try {
        let s;
        try {
          s = await stat(this.path);
        } catch {
          return false; // between unlink and rename, or removed: keep serving the last database
        }
        const old = this.#stamp;
        if (old && old.size === s.size && old.mtimeMs === s.mtimeMs && old.ino === s.ino) return false;
        try {
          await this.#load();
        } catch (err) {
          this.lastError = (err as Error).message;
          this.#opts.onReloadError?.(err as Error);
          return false;
        }
        this.#opts.onReload?.(this.current!);
        return true;
      } finally {
        this.#reloading = undefined;
        if (this.#again) {
          this.#again = false;
          this.#schedule();
        }
      }
    })();
    return this.#reloading;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#watcher?.close();
    await this.#reloading?.catch(() => undefined);
  }
}
