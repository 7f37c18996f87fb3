/**
 * A long transaction that gives the event loop turns (a sync's apply does, so the server answers meanwhile) must
 * stay isolated from everything else the process does: no one else's writes inside it, no reads of what it has not
 * committed, and a rollback that takes only its own rows. MariaDB gives that with a connection per transaction;
 * SQLite has one connection for the process, and src/db/sqlite-transaction-gate.ts gives it there.
 */
import { DataSource } from 'typeorm';
import { yieldToEventLoop } from '../../src/db/sqlite-transaction-gate';
import { Tenant } from '../../src/entities';
import { newId } from '../../src/util/ids';
import { openTestDatabase, TestDatabase } from '../helpers/database';

const tenant = (name: string): Tenant => Object.assign(new Tenant(), { id: newId(), name, createdAt: new Date(), updatedAt: new Date() });
const names = async (ds: DataSource) => (await ds.getRepository(Tenant).find({ order: { name: 'ASC' } })).map((t) => t.name);

/** Gives the event loop a number of turns, as a long apply does between its statements. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await yieldToEventLoop();
}

describe('transactions that yield to the event loop', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => db?.drop());
  beforeEach(async () => {
    await db.dataSource.getRepository(Tenant).createQueryBuilder().delete().execute();
  });

  it('a read from elsewhere neither sees rows the transaction has not committed nor waits for its commit', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const written = new Promise<void>((resolve) => (inserted = resolve));
    const writer = db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert(tenant('uncommitted'));
      inserted();
      await held; // open until the read below has been answered, or has not been for 3 s
    });
    await written;
    const read = names(db.dataSource);
    const answer = await Promise.race([read, new Promise<'no answer within 3 s'>((resolve) => setTimeout(() => resolve('no answer within 3 s'), 3_000))]);
    release();
    await writer;
    await read;
    // Both engines answer at once, from what was committed: MariaDB from its snapshot, SQLite from its read
    // connection (without it the read would wait for the commit; without the gate it would see the row).
    expect(answer).toEqual([]);
    expect(await names(db.dataSource)).toEqual(['uncommitted']);
  });

  it("a transaction rolled back takes only its own rows, not those of a transaction that ran during its turns", async () => {
    const failing = db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert(tenant('rolled back'));
      await turns(20);
      throw new Error('the apply failed');
    });
    await turns(2);
    const other = db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert(tenant('committed by another'));
      await turns(3);
    });
    await expect(failing).rejects.toThrow('the apply failed');
    await other;
    expect(await names(db.dataSource)).toEqual(['committed by another']);
  });

  it("a repository's own save during another's open transaction is neither inside it nor lost with it", async () => {
    const failing = db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert(tenant('rolled back'));
      await turns(20);
      throw new Error('the apply failed');
    });
    await turns(2);
    const saved = db.dataSource.getRepository(Tenant).save(tenant('saved alone'));
    await expect(failing).rejects.toThrow('the apply failed');
    await saved;
    expect(await names(db.dataSource)).toEqual(['saved alone']);
  });

  it('work inside a transaction may still reach the database through the DataSource, and nest a transaction', async () => {
    await db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert(tenant('outer'));
      await turns(2);
      await db.dataSource.transaction(async (inner) => inner.getRepository(Tenant).insert(tenant('inner')));
      await db.dataSource.getRepository(Tenant).save(tenant('saved inside'));
    });
    expect(await names(db.dataSource)).toEqual(['inner', 'outer', 'saved inside']);
  });

  it('transactions started together run one after another, each whole', async () => {
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        db.dataSource.transaction(async (m) => {
          order.push(`${name} begins`);
          await m.getRepository(Tenant).insert(tenant(name));
          await turns(5);
          await m.getRepository(Tenant).insert(tenant(`${name} 2`));
          order.push(`${name} ends`);
        }),
      ),
    );
    expect(await names(db.dataSource)).toEqual(['a', 'a 2', 'b', 'b 2', 'c', 'c 2']);
    if (db.engine === 'sqlite') expect(order).toEqual(['a begins', 'a ends', 'b begins', 'b ends', 'c begins', 'c ends']);
  });
});
