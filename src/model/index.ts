/**
 * model/: the data the control plane and the data plane share (pure types and pure rules):
 * the Snapshot, backends and their health claims, and the health authority that decides.
 */
export { type Snapshot, type ZoneEntry, type NameEntry, type AnswerSet, emptySnapshot } from './snapshot.ts';
