import { StoreError, StoreErrorCode } from './store-error.ts';

const MAX_TEXT_LENGTH = 65_536;

/**
 * Checks the fields of one record before it is written and throws ERR_STORE_INVALID naming the record
 * and the field ("overrides[3].port: expected an integer 1-65535 or null, got 70000"). The database's
 * CHECK constraints are the backstop; these give the message.
 */
export class FieldCheck {
  readonly #filePath: string;
  readonly #where: string;
  constructor(filePath: string, where: string) {
    this.#filePath = filePath;
    this.#where = where;
  }

  fail(field: string, expected: string, got: unknown): never {
    throw new StoreError(
      StoreErrorCode.Invalid,
      this.#filePath,
      `${this.#where}.${field}: expected ${expected}, got ${describe(got)}`,
    );
  }

  record(value: unknown): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new StoreError(
        StoreErrorCode.Invalid,
        this.#filePath,
        `${this.#where}: expected an object, got ${describe(value)}`,
      );
    }
    return value as Record<string, unknown>;
  }

  /** A string; non-empty unless `allowEmpty`. */
  text(field: string, value: unknown, allowEmpty = false): string {
    if (typeof value !== 'string' || (!allowEmpty && value.length === 0) || value.length > MAX_TEXT_LENGTH) {
      this.fail(field, `a ${allowEmpty ? '' : 'non-empty '}string of at most ${MAX_TEXT_LENGTH} characters`, value);
    }
    return value;
  }

  optionalText(field: string, value: unknown): string | null {
    return value === undefined || value === null ? null : this.text(field, value);
  }

  integer(field: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `an integer ${min}-${max}`, value);
    }
    return value;
  }

  /** Milliseconds since the epoch. */
  timestampMs(field: string, value: unknown): number {
    return this.integer(field, value, 0, Number.MAX_SAFE_INTEGER);
  }

  boolean(field: string, value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail(field, 'true or false', value);
    return value;
  }

  /** Serialises a JSON value; functions, undefined, bigint and cycles are refused. */
  json(field: string, value: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new StoreError(
        StoreErrorCode.Invalid,
        this.#filePath,
        `${this.#where}.${field}: expected a JSON value, got one that cannot be serialised (${(err as Error).message})`,
        { cause: err },
      );
    }
    if (text === undefined) this.fail(field, 'a JSON value', value);
    return text;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'a value that cannot be serialised';
  }
  if (text === undefined) return typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
