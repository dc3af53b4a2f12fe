import { StoreError, StoreErrorCode } from './store-error.ts';

/** Parses a JSON column; its CHECK (json_valid) constraint makes a failure mean a damaged file. */
export function parseJsonColumn(text: string, filePath: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreError(StoreErrorCode.Corrupt, filePath, `${filePath}: ${column} holds invalid JSON`, {
      cause: err,
    });
  }
}
