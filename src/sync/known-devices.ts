import { DataSource } from 'typeorm';
import type { KnownDevice } from '../../connectors/sdk/contract';
import { ConnectorInstance, SourceDevice, VendorSite } from '../entities';

/** What the engine holds about each device of an instance, for StreamRequest.known (read once, before the run). */
export async function knownDevices(dataSource: DataSource, connectorInstanceId: string): Promise<Map<string, KnownDevice>> {
  const rows = await dataSource.getRepository(SourceDevice).find({
    where: { connectorInstanceId },
    select: { externalId: true, revision: true, serialNumber: true, smbiosUuid: true, macAddresses: true, manufacturer: true, model: true },
  });
  return new Map(
    rows.map((r) => [r.externalId, { revision: r.revision, serialNumber: r.serialNumber, smbiosUuid: r.smbiosUuid, macAddresses: r.macAddresses, manufacturer: r.manufacturer, model: r.model }]),
  );
}

/** For an MSP-wide instance, the vendor sites whose devices are imported (mapped, not ignored); null for others. */
export async function importedSites(dataSource: DataSource, instance: ConnectorInstance): Promise<Set<string> | null> {
  if (instance.tenantId) return null;
  const sites = await dataSource.getRepository(VendorSite).findBy({ connectorInstanceId: instance.id, ignored: false });
  return new Set(sites.filter((s) => s.tenantId).map((s) => s.externalId));
}
