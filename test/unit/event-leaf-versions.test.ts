/**
 * Leaf versions: seals written before patch_event had an evidence column used version 1 (no version recorded), and
 * must keep verifying with exactly the leaves they were sealed with; new seals use version 2, which covers evidence.
 */
import { digestOf, LEAF_VERSION, leafVersionOf, patchEventLeaf } from '../../src/audit/event-leaves';
import { leafHash } from '../../src/audit/merkle';
import { PatchEvent } from '../../src/entities';

const event = Object.assign(new PatchEvent(), {
  id: '0190f0e2-0000-7000-8000-000000000001', tenantId: 't', assetId: 'a', sourceDeviceId: 's', updateId: 'u', syncRunId: 'r',
  fromState: 'MISSING', toState: 'INSTALLED', evidence: 'REPORTED', reportedAt: new Date('2026-11-01T10:00:00.000Z'), observedAt: new Date('2026-11-02T09:00:00.000Z'),
}) as PatchEvent;

describe('patch event leaf versions', () => {
  it('version 1 is the leaf runs were first sealed with; version 2 adds the evidence kind, and new seals say so', () => {
    const v1 = leafHash(JSON.stringify(['patch_event', event.id, 't', 'a', 's', 'u', 'r', 'MISSING', 'INSTALLED', '2026-11-01T10:00:00.000Z', '2026-11-02T09:00:00.000Z']));
    expect(patchEventLeaf(event, 1)).toBe(v1);
    expect(patchEventLeaf(event, 2)).not.toBe(v1);
    expect(patchEventLeaf({ ...event, evidence: 'DERIVED' } as PatchEvent, 2)).not.toBe(patchEventLeaf(event, 2));
    expect(patchEventLeaf({ ...event, evidence: 'DERIVED' } as PatchEvent, 1)).toBe(v1);
    expect(LEAF_VERSION).toBe(2);
    const leaves = [{ kind: 'patch_event' as const, id: event.id, leaf: patchEventLeaf(event) }];
    expect(digestOf(leaves, LEAF_VERSION)).toMatchObject({ count: 1, leaf: 2 });
    expect(leafVersionOf({})).toBe(1); // a seal from before versions
    expect(leafVersionOf(digestOf(leaves, LEAF_VERSION))).toBe(2);
  });
});
