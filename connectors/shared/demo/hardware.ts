/**
 * The make and model the demo's tools report for a machine of the demo fleet: its own when the fleet gives them,
 * else the hardware its serial number's prefix names (the fleet's seeded machines carry only a serial). Shared by
 * the demos of the tools that report hardware (Intune, Datto RMM), so they agree on every machine.
 */
const BY_SERIAL_PREFIX: Record<string, [manufacturer: string, model: string]> = {
  '5CD': ['HP', 'HP EliteBook 840 G10'],
  PF3: ['LENOVO', '21HD0042UK'],
  CZC: ['HP', 'HP ProDesk 400 G9 Desktop Mini'],
  MXL: ['HP', 'HP EliteDesk 800 G9 Small Form Factor'],
};

export function demoHardwareOf(row: Readonly<Record<string, unknown>>): [manufacturer: string, model: string] {
  if (row.manufacturer && row.model) return [String(row.manufacturer), String(row.model)];
  return BY_SERIAL_PREFIX[String(row.serialNumber).slice(0, 3)] ?? ['System manufacturer', 'System Product Name'];
}

/** Demo simulators serve small pages, so the demo's syncs page through links as a real account's do. */
export const DEMO_PAGE_SIZE = 5;
