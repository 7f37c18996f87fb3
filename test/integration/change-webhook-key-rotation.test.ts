/**
 * `secrets rotate-key` re-encrypts change webhooks' signing secrets with the connector secrets, in the same
 * transaction: after a rotation the new key decrypts them and the old one does not; a webhook secret the current
 * key cannot decrypt stops the rotation before anything changes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeWebhookAdmin, webhookSecretBinding } from '../../src/access/change-webhooks';
import { TenantScope } from '../../src/access/tenant-scope';
import { ChangeWebhook } from '../../src/entities';
import { rotateSecretKey } from '../../src/secrets/rotate-key';
import { SecretBox } from '../../src/secrets/secret-box';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

describe(`change webhook secrets under secrets rotate-key on ${ENGINE}`, () => {
  const clock = fixedClock('2026-11-02T10:00:00.000Z');
  let db: TestDatabase;
  let dir: string;
  let keyFile: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-webhook-rotate-'));
    keyFile = join(dir, 'secret.key');
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const rotate = () => rotateSecretKey({ dataSource: db.dataSource, config: { secretKeyFile: keyFile }, clock, actor: 'test', say: () => undefined }, { generate: true });
  const stored = async () => (await db.dataSource.getRepository(ChangeWebhook).find({ order: { url: 'ASC' } })).map((h) => [h.url, h.secretCiphertext]);

  it('re-encrypts them with the new key, in the rotation\'s transaction', async () => {
    const oldBox = SecretBox.generate();
    writeFileSync(keyFile, `${oldBox.encodedKey()}\n`, { mode: 0o600 });
    const admin = new ChangeWebhookAdmin(db.dataSource, TenantScope.allTenants(), clock, oldBox);
    const { webhook, secret } = await admin.create(null, 'https://psa.example/hooks/patchgraph', { label: 'test' });

    expect(await rotate()).toMatchObject({ kind: 'rotated' });
    const newBox = SecretBox.fromEncodedKey(readFileSync(keyFile, 'utf8'));
    const [row] = await db.dataSource.getRepository(ChangeWebhook).findBy({ id: webhook.id });
    expect(newBox.decrypt(row.secretCiphertext, webhookSecretBinding(webhook.id))).toEqual({ secret });
    expect(() => oldBox.decrypt(row.secretCiphertext, webhookSecretBinding(webhook.id))).toThrow();
  });

  it('refuses to rotate, changing nothing, when a webhook secret does not decrypt with the current key', async () => {
    const current = SecretBox.fromEncodedKey(readFileSync(keyFile, 'utf8'));
    const stranger = new ChangeWebhookAdmin(db.dataSource, TenantScope.allTenants(), clock, SecretBox.generate());
    await stranger.create(null, 'https://other.example/hook', { label: 'test' });
    const before = await stored();
    await expect(rotate()).rejects.toThrow(/change webhook .* \(https:\/\/other\.example\/hook\) does not decrypt with the current key/);
    expect(await stored()).toEqual(before);
    expect(SecretBox.fromEncodedKey(readFileSync(keyFile, 'utf8')).sameKeyAs(current)).toBe(true);
  });
});
