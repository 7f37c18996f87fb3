/**
 * A demo client as a connector's demo hook sees it (connectors/sdk/contract.ts, DemoClient): the client's name,
 * domain and sites, and its tool's devices in the demo fleet, so a connector builds its demo data in its own folder.
 */
import type { DemoClient } from '../../connectors/sdk/contract';
import { buildDemoExports, demoSeed, DemoTenant, DemoTool } from './demo-fleet';

export function demoClient(t: DemoTenant, kind: string, now: Date): DemoClient {
  const exports = buildDemoExports(t, now, demoSeed(t));
  return { name: t.name, domain: t.domain, sites: t.sites, seed: demoSeed(t), devices: exports[kind as DemoTool]?.devices ?? [] };
}
