import { OpenGslbError } from '../../errors.ts';

/** Stable codes of the errors predictive/ throws or reports through `onError`. */
export const PredictiveErrorCode = {
  /** A monitor option or the predictive config failed validation (thrown by the constructor). */
  InvalidConfig: 'ERR_PREDICTIVE_INVALID_CONFIG',
  /** The application's error-rate endpoint could not be read (network, timeout, HTTP status, body). */
  EndpointFailed: 'ERR_PREDICTIVE_ENDPOINT_FAILED',
  /** A host or cgroup statistics file could not be read or parsed. */
  SampleFailed: 'ERR_PREDICTIVE_SAMPLE_FAILED',
  /** The monitor was started after close(). */
  Closed: 'ERR_PREDICTIVE_CLOSED',
} as const;
export type PredictiveErrorCode = (typeof PredictiveErrorCode)[keyof typeof PredictiveErrorCode];

export class PredictiveError extends OpenGslbError {
  declare readonly code: PredictiveErrorCode;
  constructor(code: PredictiveErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
