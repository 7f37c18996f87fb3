/**
 * Which way a run reads its source. The connector's definition says whether it can read incrementally; the engine
 * decides per run, so a source with no "changed since" filter never has to invent a cursor to be read in full.
 */
import { readsIncrementally, type ConnectorDefinition, type RunMode } from '../../connectors/sdk/contract';
import type { Cursors } from './read-source';

export function chooseRunMode(run: {
  /** Undefined for a kind no longer installed: the run fails on its configuration anyway. */
  definition: Pick<ConnectorDefinition<any>, 'capabilities'> | undefined;
  /** Cursors the last committed run stored; empty when the run is forced full. */
  previous: Cursors;
  forcedFull: boolean;
  /** A pushed snapshot is complete by definition. */
  pushed: boolean;
}): RunMode {
  if (run.forcedFull || run.pushed || !run.definition || !readsIncrementally(run.definition)) return 'full';
  // The device cursor is where an incremental read resumes; without it (first run, settings changed) there is none.
  return run.previous.devices == null ? 'full' : 'incremental';
}
