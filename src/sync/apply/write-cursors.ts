/** The last stage of a run: the cursors the next incremental read starts from, written only when they moved. */
import { EntityManager } from 'typeorm';
import { ConnectorInstance } from '../../entities';
import type { Cursors } from '../read-source';

/** Sorted, so the order a connector yields its cursors in is no change. */
const cursorsJson = (cursors: Cursors): string | null => (Object.keys(cursors).length ? JSON.stringify(Object.fromEntries(Object.entries(cursors).sort())) : null);

export async function writeCursors(m: EntityManager, instance: ConnectorInstance, next: Cursors): Promise<void> {
  const cursors = cursorsJson(next);
  if ((instance.cursors ?? null) === cursors) return;
  await m.getRepository(ConnectorInstance).update({ id: instance.id }, { cursors });
  instance.cursors = cursors;
}
