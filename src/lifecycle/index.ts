/**
 * lifecycle/: time and shutdown contracts shared by every runtime module.
 * Pure logic takes `nowMs` as an argument; runtime shells take a Clock so tests can advance time.
 * Whatever owns a socket, timer, worker or database handle is Closeable, with an idempotent close().
 */
export { type Clock, type TimerHandle, systemClock, ManualClock } from './clock.ts';
export { type Closeable, Lifecycle } from './lifecycle.ts';
