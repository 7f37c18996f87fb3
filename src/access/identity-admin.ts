/**
 * An operator's corrections to identity resolution. Decisions are stored on the source devices themselves — a pin
 * (mergeAssets) or a list of forbidden assets (splitAsset) — so every later sync applies them before any rule.
 */
import { DataSource, EntityManager, In } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { insertRows } from '../db/insert-rows';
import { inTransaction } from '../db/transaction';
import { Asset, SourceDevice } from '../entities';
import { AssetStatus } from '../entities/enums';
import { NotFoundError, UserInputError } from '../errors';
import { refreshAssets, repointPatchStates } from '../sync/apply/refresh-assets';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { Actor } from './tenant-admin';
import { TenantScope } from './tenant-scope';

const manualMatch = (assetId: string, action: string) => JSON.stringify({ rule: 'MANUAL', values: { pinnedAssetId: assetId, decision: action }, conflicts: [] });

export class IdentityAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
    private readonly actor: Actor,
  ) {}

  /** Moves every source of `assetIds` onto `targetId` and pins them there; the emptied assets are removed. */
  async mergeAssets(targetId: string, assetIds: string[]): Promise<Asset> {
    const others = [...new Set(assetIds)].filter((id) => id !== targetId);
    if (others.length === 0) throw new UserInputError('input.assetIds', 'name at least one asset other than the target');
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const target = await this.visibleAsset(m, targetId);
      const assets = await m.getRepository(Asset).findBy({ id: In(others) });
      for (const id of others) {
        const a = assets.find((x) => x.id === id);
        if (!a || !this.scope.allows(a.tenantId)) throw new NotFoundError('Asset', id);
        if (a.tenantId !== target.tenantId) throw new UserInputError('input.assetIds', 'assets of different tenants are never merged');
      }
      const sources = await m.getRepository(SourceDevice).findBy({ assetId: In([targetId, ...others]) });
      for (const s of sources) {
        s.assetId = targetId;
        s.pinnedAssetId = targetId;
        s.forbiddenAssetIds = (s.forbiddenAssetIds ?? []).filter((id) => id !== targetId);
        s.matchedBy = manualMatch(targetId, 'merge');
        await m.getRepository(SourceDevice).update(
          { id: s.id },
          { assetId: s.assetId, pinnedAssetId: s.pinnedAssetId, forbiddenAssetIds: s.forbiddenAssetIds, matchedBy: s.matchedBy },
        );
      }
      await repointPatchStates(m, sources);
      await refreshAssets(m, target.tenantId, [targetId, ...others], now);
      await appendAudit(m, {
        tenantId: target.tenantId, actor: this.actor.label, action: 'asset.merge', targetType: 'Asset', targetId,
        data: { mergedAssetIds: others, sourceDeviceIds: sources.map((s) => s.id).sort() }, occurredAt: now,
      });
      return (await m.getRepository(Asset).findOneBy({ id: targetId }))!;
    });
  }

  /**
   * Moves the given sources of an asset onto a new asset and records that the two must stay apart: the moved
   * devices are pinned to the new asset and forbidden from the old one, the remaining ones forbidden from the new.
   */
  async splitAsset(assetId: string, sourceDeviceIds: string[]): Promise<Asset> {
    const ids = [...new Set(sourceDeviceIds)];
    if (ids.length === 0) throw new UserInputError('input.sourceDeviceIds', 'name at least one source device to split off');
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const asset = await this.visibleAsset(m, assetId);
      const sources = await m.getRepository(SourceDevice).findBy({ assetId });
      const moving = sources.filter((s) => ids.includes(s.id));
      if (moving.length !== ids.length) throw new UserInputError('input.sourceDeviceIds', 'every source device must belong to the asset being split');
      if (moving.length === sources.length) throw new UserInputError('input.sourceDeviceIds', 'splitting off every source would leave the asset empty');
      const fresh = Object.assign(new Asset(), {
        id: newId(), tenantId: asset.tenantId, siteId: asset.siteId, hostname: asset.hostname, fqdn: null, serialNumber: null, osName: null,
        osVersion: null, osBuild: null, status: AssetStatus.ACTIVE, lastSeenAt: now, createdAt: now, updatedAt: now,
      });
      await insertRows(m, Asset, [fresh]);
      for (const s of sources) {
        const move = ids.includes(s.id);
        const forbid = move ? asset.id : fresh.id;
        const change = {
          assetId: move ? fresh.id : s.assetId,
          pinnedAssetId: move ? fresh.id : s.pinnedAssetId,
          forbiddenAssetIds: [...new Set([...(s.forbiddenAssetIds ?? []), forbid])],
          matchedBy: move ? manualMatch(fresh.id, 'split') : s.matchedBy,
        };
        Object.assign(s, change);
        await m.getRepository(SourceDevice).update({ id: s.id }, change);
      }
      await repointPatchStates(m, moving);
      await refreshAssets(m, asset.tenantId, [asset.id, fresh.id], now);
      await appendAudit(m, {
        tenantId: asset.tenantId, actor: this.actor.label, action: 'asset.split', targetType: 'Asset', targetId: asset.id,
        data: { newAssetId: fresh.id, sourceDeviceIds: ids.sort() }, occurredAt: now,
      });
      return (await m.getRepository(Asset).findOneBy({ id: fresh.id }))!;
    });
  }

  private async visibleAsset(m: EntityManager, id: string): Promise<Asset> {
    const asset = await m.getRepository(Asset).findOneBy({ id });
    if (!asset || !this.scope.allows(asset.tenantId)) throw new NotFoundError('Asset', id);
    return asset;
  }
}
