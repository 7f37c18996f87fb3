import { DataSource } from 'typeorm';
import type { KnownDevice } from '../../connectors/sdk/contract';
import { SourceDevice } from '../entities';

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
