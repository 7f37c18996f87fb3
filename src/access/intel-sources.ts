import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { IntelSource } from '../entities';

/**
 * The imported intel files facts name. Intel is public, trusted data shared by every tenant, so reading it needs no
 * tenant scope; a request's loader caches the few sources its answer names.
 */
export class IntelSourceReader {
  readonly byId: DataLoader<string, IntelSource | null>;

  constructor(dataSource: DataSource) {
    this.byId = new DataLoader(
      async (ids) => {
        const rows = new Map((await dataSource.getRepository(IntelSource).findBy({ id: In([...ids]) })).map((s) => [s.id, s]));
        return ids.map((id) => rows.get(id) ?? null);
      },
      { maxBatchSize: 500 },
    );
  }
}
