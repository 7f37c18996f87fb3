/**
 * The SQLite gate finds a transaction's owner through an AsyncLocalStorage, which on Node 20 switches on promise
 * hooks (an init hook on every promise of the process) for as long as it is enabled. It is enabled only while a
 * transaction is live: once every transaction has ended, the process's promises are as cheap as before the first.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Tenant } from '../../src/entities';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

const tenant = (name: string): Tenant => Object.assign(new Tenant(), { id: newId(), name, createdAt: new Date(), updatedAt: new Date() });

/** How many async hooks with an init callback are enabled: an enabled AsyncLocalStorage's is one (Node 20 and 22). */
function initHooks(): number {
  const asyncWrap = (process as unknown as { binding(name: string): { async_hook_fields: Uint32Array; constants: { kInit: number } } }).binding('async_wrap');
  return asyncWrap.async_hook_fields[asyncWrap.constants.kInit];
}

/** Whether this Node shows its hook count (process.binding is deprecated, and a later version may drop it). */
const hooksVisible = (() => {
  try {
    return Number.isInteger(initHooks());
  } catch {
    return false;
  }
})();

/**
 * Whether an enabled AsyncLocalStorage costs an init hook here: on Node 20 and 22 it does; from Node 24 it runs on
 * async context frames, which cost promises nothing, and the gate's switching off changes nothing to see.
 */
function storageTakesHooks(): boolean {
  const before = initHooks();
  const probe = new AsyncLocalStorage<number>();
  probe.enterWith(1);
  const enabled = initHooks();
  probe.disable();
  return enabled > before;
}

(ENGINE === 'sqlite' && hooksVisible ? describe : describe.skip)('the SQLite gate and promise hooks', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('leaves them as it found them once its transactions have ended, and still keeps a transaction to itself', async () => {
    // What was on before (the migrations ran in a transaction, and the gate's store is off again already). Another
    // AsyncLocalStorage left enabled by an earlier test file in this worker shares the one hook: the gate adds none then.
    const base = initHooks();
    const takesHooks = storageTakesHooks();
    let during = -1;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writer = db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert(tenant('inside'));
      during = initHooks();
      await held;
    });
    // A save outside transaction(): the runner opens the transaction and enters its owner in the caller's context.
    const save = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await db.dataSource.getRepository(Tenant).save(tenant('saved'));
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Read from outside while the writer holds the gate: its uncommitted row is not seen.
    expect((await db.dataSource.getRepository(Tenant).find()).map((t) => t.name)).not.toContain('inside');
    release();
    await Promise.all([writer, save]);
    // On while the transaction ran (the gate's store is the only AsyncLocalStorage of this process), off after.
    expect(during).toBe(base + (takesHooks ? 1 : 0));
    expect(initHooks()).toBe(base);
    // And again: the store comes back for the next transaction, and goes once it has ended.
    await db.dataSource.transaction(async (m) => {
      await m.getRepository(Tenant).insert(tenant('again'));
      expect(await m.getRepository(Tenant).countBy({ name: 'again' })).toBe(1);
    });
    expect(initHooks()).toBe(base);
    expect((await db.dataSource.getRepository(Tenant).find()).map((t) => t.name).sort()).toEqual(['again', 'inside', 'saved']);
  });
});
