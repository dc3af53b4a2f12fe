/**
 * Typed errors with stable codes. Each boundary (CLI exit code, DNS rcode, HTTP status) maps an
 * error once; everything below throws these and keeps `cause`.
 */
export class OpenGslbError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
