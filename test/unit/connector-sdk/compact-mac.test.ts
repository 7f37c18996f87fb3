import { compactMac } from '../../../connectors/sdk';
import { knownFrom } from '../../../connectors/sdk/testkit/run';
import { normaliseMac } from '../../../src/identity/normalise';

describe('compactMac: one form of a MAC address for the engine, identity and the contract kit', () => {
  it.each([['A4:C3:F0:12:34:56'], ['a4-c3-f0-12-34-56'], ['a4c3.f012.3456'], [' a4c3f0123456 ']])('compacts %s', (raw) => {
    expect(compactMac(raw)).toBe('A4C3F0123456');
  });

  it.each([['A4:C3:F0:12:34'], ['not a mac'], ['G4:C3:F0:12:34:56'], [''], [null], [42]])('refuses %p', (raw) => {
    expect(compactMac(raw)).toBeNull();
  });

  it('identity matches on the compact form and still drops unusable addresses', () => {
    expect(normaliseMac('a4-c3-f0-12-34-56')).toBe('A4C3F0123456');
    expect(normaliseMac('DA:A1:19:00:00:01')).toBeNull(); // randomised (locally administered)
    expect(compactMac('DA:A1:19:00:00:01')).toBe('DAA119000001'); // but stored, for an operator to see
  });

  it('the kit tells a connector the MACs the engine stored: malformed ones dropped, as the engine drops them', () => {
    const known = knownFrom([{ externalId: 'd1', macAddresses: ['a4:c3:f0:12:34:56', 'A4C3F0123456', 'garbage', 'DA:A1:19:00:00:01'] } as never]);
    expect(known('d1')?.macAddresses).toEqual(['A4C3F0123456', 'DAA119000001']);
  });
});
