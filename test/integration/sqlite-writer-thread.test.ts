/**
 * On a database file, a transaction's statements run on a connection of a worker thread (src/db/sqlite-writer-thread.ts),
 * so the server's thread answers while a sync's apply, and its commit, run. What the transaction writes and reads, its
 * errors and its all-or-nothing must be exactly what they were on the main connection. Only SQLite is synchronous.
 */
import { QueryFailedError } from 'typeorm';
import { isUniqueViolation } from '../../src/db/transaction';
import { sqliteWriterThread } from '../../src/db/sqlite-transaction-gate';
import { MAX_CACHED_LONG_STATEMENTS, MAX_CACHED_SQL_CHARS } from '../../src/db/sqlite-statement-cache';
import { insertRows, MAX_ROWS_PER_INSERT } from '../../src/db/insert-rows';
import { PatchEvent, Tenant } from '../../src/entities';
import { EvidenceKind, PatchStateValue } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

const sqliteOnly = process.env.TEST_ENGINE === 'mariadb' ? describe.skip : describe;

const AT = { createdAt: new Date('2026-01-01T00:00:00Z'), updatedAt: new Date('2026-01-01T00:00:00Z') };

/** A statement that keeps SQLite busy for a while (a few hundred milliseconds here). */
const SLOW_SELECT = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT COUNT(*) AS c FROM n';

sqliteOnly('SQLite transactions on the writer thread', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('the event loop turns while a transaction statement runs, and the portal reads meanwhile', async () => {
    const tenant = await new Factory(db.dataSource).tenant('Turning');
    let turns = 0;
    let reading: Promise<Tenant | null> | undefined;
    const tick = setInterval(() => {
      turns++;
      // A read from outside the transaction, answered while it is open (the read connection).
      reading ??= db.dataSource.getRepository(Tenant).findOneBy({ id: tenant.id });
    }, 1);
    let turnsDuring = -1;
    try {
      await db.dataSource.transaction(async (m) => {
        const before = turns;
        expect(await m.query(SLOW_SELECT)).toEqual([{ c: 3_000_000 }]);
        turnsDuring = turns - before;
      });
    } finally {
      clearInterval(tick);
    }
    // On the main connection the statement ran in one synchronous piece, and no timer fired during it.
    expect(turnsDuring).toBeGreaterThan(0);
    expect((await reading)?.name).toBe('Turning');
  });

  it('commits what the transaction wrote, and a failed one leaves nothing', async () => {
    const repo = db.dataSource.getRepository(Tenant);
    await db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert({ id: 'writer-thread-kept', name: 'Kept', ...AT } as Tenant);
      // Its own writes are visible inside it, on the same connection.
      expect(await m.getRepository(Tenant).countBy({ id: 'writer-thread-kept' })).toBe(1);
    });
    expect(await repo.countBy({ id: 'writer-thread-kept' })).toBe(1);

    await expect(db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert({ id: 'writer-thread-dropped', name: 'Dropped', ...AT } as Tenant);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(await repo.countBy({ id: 'writer-thread-dropped' })).toBe(0);
  });

  it('answers as the main connection does: affected rows, booleans, blobs, and typed errors', async () => {
    const answers = await db.dataSource.transaction(async (m) => {
      const updated = await m.getRepository(Tenant).update({ id: 'writer-thread-kept' }, { name: 'Kept, renamed' });
      await m.query('CREATE TEMP TABLE writer_scratch (b BLOB, f INTEGER)');
      await m.query('INSERT INTO writer_scratch (b, f) VALUES (?, ?)', [Buffer.from([0, 1, 2, 255]), true]);
      const [row] = (await m.query('SELECT b, f FROM writer_scratch')) as Array<{ b: Buffer; f: number }>;
      await m.query('DROP TABLE writer_scratch');
      return { affected: updated.affected, isBuffer: Buffer.isBuffer(row.b), bytes: [...row.b], flag: row.f };
    });
    expect(answers).toEqual({ affected: 1, isBuffer: true, bytes: [0, 1, 2, 255], flag: 1 });

    const duplicate = await db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert({ id: 'writer-thread-kept', name: 'Again', ...AT } as Tenant);
    }).catch((err: unknown) => err);
    expect(duplicate).toBeInstanceOf(QueryFailedError);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect((duplicate as { driverError: { code: string } }).driverError.code).toMatch(/^SQLITE_CONSTRAINT/);
  });

  it('a thread lost mid-transaction fails that transaction, commits nothing of it, and the next one runs on a new thread', async () => {
    const lost = await sqliteWriterThread(db.dataSource);
    expect(lost).not.toBeNull();
    const failed = await db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert({ id: 'writer-thread-lost', name: 'Lost', ...AT } as Tenant);
      await lost!.close();
      await m.getRepository(Tenant).insert({ id: 'writer-thread-lost-2', name: 'Lost too', ...AT } as Tenant);
    }).catch((err: unknown) => err);
    expect(String(failed)).toMatch(/writer thread stopped/);
    expect(await db.dataSource.getRepository(Tenant).countBy({ name: 'Lost' })).toBe(0);

    await db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert({ id: 'writer-thread-after', name: 'After', ...AT } as Tenant);
    });
    expect(await db.dataSource.getRepository(Tenant).countBy({ id: 'writer-thread-after' })).toBe(1);
    const next = await sqliteWriterThread(db.dataSource);
    expect({ replaced: next !== lost, alive: next?.alive }).toEqual({ replaced: true, alive: true });
  });

  it('prepares a batch statement repeated within a sync once, and keeps only the last few long statements prepared', async () => {
    const writer = (await sqliteWriterThread(db.dataSource))!;
    const tenant = await new Factory(db.dataSource).tenant('Prepared');
    const events = Array.from({ length: 3 * MAX_ROWS_PER_INSERT + 7 }, () => Object.assign(new PatchEvent(), {
      id: newId(), tenantId: tenant.id, assetId: newId(), sourceDeviceId: newId(), updateId: newId(), syncRunId: null, fromState: null,
      toState: PatchStateValue.MISSING, evidence: EvidenceKind.REPORTED, reportedAt: null, observedAt: AT.createdAt,
    }));
    // BEGIN and COMMIT prepared first, so that only the batch's statements count below.
    await db.dataSource.transaction((m) => m.query('SELECT 1'));
    const before = await writer.stats();
    // A sync's batch: three full statements of one text (over the short statements' length), and one of the rest.
    await db.dataSource.transaction((m) => insertRows(m, PatchEvent, events));
    // The full statement's text and the last one's.
    expect((await writer.stats()).prepares - before.prepares).toBe(2);

    // More distinct long texts than are kept: the first is prepared again, and no more than the bound are held.
    const longText = (rows: number) => `SELECT ${Array.from({ length: rows }, (_, i) => `${i} AS c${i}`).join(', ')}`;
    const texts = Array.from({ length: MAX_CACHED_LONG_STATEMENTS + 2 }, (_, i) => longText(1_000 + i));
    expect(texts.every((t) => t.length > MAX_CACHED_SQL_CHARS)).toBe(true);
    await db.dataSource.transaction(async (m) => {
      const start = await writer.stats();
      await m.query(texts[0]);
      await m.query(texts[0]);
      expect((await writer.stats()).prepares - start.prepares).toBe(1);
      for (const text of texts) await m.query(text);
      const filled = await writer.stats();
      expect(filled.cachedLong).toBe(MAX_CACHED_LONG_STATEMENTS);
      await m.query(texts[0]);
      expect((await writer.stats()).prepares - filled.prepares).toBe(1);
    });
    expect(await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: tenant.id })).toBe(events.length);
  });
});
