import { OpenGslbError } from '../errors.ts';

/** Stable codes of the errors health/ throws (probes never throw; these come from the scheduler's API). */
export const HealthErrorCode = {
  /** A check definition or scheduler option failed validation. */
  InvalidCheck: 'ERR_HEALTH_INVALID_CHECK',
  /** add() was given an id that is already scheduled. */
  DuplicateTarget: 'ERR_HEALTH_DUPLICATE_TARGET',
  /** update() or checkNow() named an id that is not scheduled. */
  UnknownTarget: 'ERR_HEALTH_UNKNOWN_TARGET',
  /** The scheduler was used after close(). */
  Closed: 'ERR_HEALTH_CLOSED',
} as const;
export type HealthErrorCode = (typeof HealthErrorCode)[keyof typeof HealthErrorCode];

export class HealthError extends OpenGslbError {
  declare readonly code: HealthErrorCode;
  constructor(code: HealthErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
