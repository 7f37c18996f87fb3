import { allowReplicaReads, isReplicaSafeRead, pinnedReplica, readMode, withReadScope } from '../../src/db/read-routing';

describe('read routing', () => {
  it('sends a raw statement to a replica only when it is a plain read', () => {
    for (const sql of ['SELECT 1', '  select id FROM tenant', '(SELECT a FROM t) UNION (SELECT a FROM u)', 'WITH x AS (SELECT 1 AS n) SELECT n FROM x']) {
      expect(isReplicaSafeRead(sql)).toBe(true);
    }
    for (const sql of [
      'UPDATE tenant SET name = ?', 'INSERT INTO t SELECT * FROM u', 'DELETE FROM t', 'REPLACE INTO t VALUES (1)',
      'WITH x AS (SELECT id FROM t) UPDATE t SET n = 1 WHERE id IN (SELECT id FROM x)',
      'SELECT * FROM sync_lock WHERE id = ? FOR UPDATE', 'SELECT * FROM t FOR SHARE', 'SELECT * FROM t LOCK IN SHARE MODE',
      'SELECT GET_LOCK(?, 0) INTO @got', "SELECT get_lock('patchgraph', 0) AS got", 'SELECT RELEASE_LOCK(?)', 'SELECT * FROM t INTO OUTFILE "/tmp/x"', 'SET @a = 1', 'CALL p()',
    ]) {
      expect(isReplicaSafeRead(sql)).toBe(false);
    }
  });

  it('reads from the primary unless the current scope opened itself to replicas, and keeps one replica per scope', async () => {
    expect(readMode()).toBe('master');
    // Outside a scope there is nothing to open.
    allowReplicaReads();
    expect(readMode()).toBe('master');
    let n = 0;
    const choose = () => n++ % 2;
    await withReadScope(async () => {
      expect(readMode()).toBe('master');
      await Promise.resolve();
      allowReplicaReads();
      // The decision holds for what runs later in the scope, across awaits and in callbacks it starts.
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(readMode()).toBe('slave');
      expect(await new Promise((resolve) => setImmediate(() => resolve(readMode())))).toBe('slave');
      expect([pinnedReplica(choose), pinnedReplica(choose), await Promise.resolve().then(() => pinnedReplica(choose))]).toEqual([0, 0, 0]);
    });
    expect(await withReadScope(async () => pinnedReplica(choose))).toBe(1);
    // Scopes do not leak into each other or out.
    expect(await withReadScope(async () => readMode())).toBe('master');
    expect(readMode()).toBe('master');
  });
});
