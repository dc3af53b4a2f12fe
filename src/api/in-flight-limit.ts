/**
 * A cap on API requests being processed at once. Every write waits for an fsync (the store is
 * durable on return), so a client opening many connections could otherwise queue unbounded work
 * and memory behind the disk; past the cap a request is answered 503 with Retry-After before its
 * body is read. Event streams are counted by their own cap (events-routes.ts) and leave this one
 * when their route says `longLived`. Counted for metrics: in flight now, refused so far.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './api-errors.ts';

/** Far above what an operator, the CLI and a few dashboards make, far below what exhausts memory. */
export const DEFAULT_MAX_IN_FLIGHT = 256;

export interface InFlightStats {
  inFlight: number;
  refused: number;
  max: number;
}

export class InFlightLimit {
  readonly max: number;
  #inFlight = 0;
  #refused = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max in-flight requests must be a positive integer, got ${max}`);
    this.max = max;
  }

  stats(): InFlightStats {
    return { inFlight: this.#inFlight, refused: this.#refused, max: this.max };
  }

  /** First onRequest hook: before the ACL and before any body is read. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.routeOptions.config.longLived === true) return;
      if (this.#inFlight >= this.max) {
        this.#refused++;
        return reply
          .code(503)
          .header('retry-after', '1')
          .send(errorBody(503, `too many API requests in flight (at most ${this.max} at once); retry shortly`));
      }
      this.#inFlight++;
      // 'close' fires once per response whether it finished or the client went away.
      reply.raw.once('close', () => this.#inFlight--);
    });
  }
}
