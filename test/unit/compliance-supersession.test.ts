import { supersessionPairs } from '../../src/compliance/supersession';

// Real chain from Microsoft's data for Windows 10 22H2: KB5040427 (July 2024) <- KB5041580 (August) <- KB5043064 (September).
const updates = [
  { id: 'jul', kb: 'KB5040427', supersedes: [] },
  { id: 'aug', kb: 'KB5041580', supersedes: ['KB5040427'] },
  { id: 'sep', kb: 'KB5043064', supersedes: ['KB5041580'] },
  { id: 'aug-tenant-copy', kb: 'KB5041580', supersedes: [] },
  { id: 'edge', kb: null, supersedes: [] },
];

describe('supersession pairs', () => {
  it('pairs an update with every later update that supersedes it, through the chain', () => {
    expect(supersessionPairs(updates, ['jul', 'aug', 'sep'])).toEqual([
      { updateId: 'jul', supersederId: 'aug' }, { updateId: 'jul', supersederId: 'sep' },
      { updateId: 'aug', supersederId: 'sep' },
    ]);
  });

  it('an entry with the same KB is the same fix, not a superseding one; an update without a KB has none', () => {
    expect(supersessionPairs(updates, ['aug-tenant-copy', 'edge'])).toEqual([{ updateId: 'aug-tenant-copy', supersederId: 'sep' }]);
  });

  it('ends on a cycle in bad data', () => {
    const cyclic = [{ id: 'a', kb: 'KB1', supersedes: ['KB2'] }, { id: 'b', kb: 'KB2', supersedes: ['KB1'] }];
    expect(supersessionPairs(cyclic, ['a'])).toEqual([{ updateId: 'a', supersederId: 'b' }]);
  });
});
