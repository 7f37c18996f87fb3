/**
 * The scope the Intune connector asks Entra for, over real HTTP to the Graph simulator's token endpoint: the
 * configured tokenScope when set, else the Graph origin's /.default as before; a bad tokenScope never gets that far.
 */
import { intuneConnector } from '../../../connectors/intune';
import { IntuneSimulator, startIntuneSimulator } from '../../../connectors/intune/simulator';
import { parseConfig } from '../../../connectors/sdk/config';
import { AuthError, ConfigError } from '../../../connectors/sdk/errors';
import { recordingContext } from '../../../connectors/sdk/testkit/run';

const GATEWAY_SCOPE = 'api://graph-gateway.contoso.example/.default';

let sims: IntuneSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function start(requiredScope?: string): Promise<IntuneSimulator> {
  const sim = await startIntuneSimulator({ pageSize: 10, devices: 5, seed: 3, now: new Date('2026-11-02T10:00:00Z'), requiredScope });
  sims.push(sim);
  return sim;
}

const connect = (raw: Record<string, unknown>) => intuneConnector.create(parseConfig(intuneConnector, raw), recordingContext().context);

describe('Intune tokenScope', () => {
  it("asks for the Graph origin's /.default when no tokenScope is set, as before", async () => {
    const sim = await start();
    await connect(sim.validConfig()).testConnection();
    expect(sim.tokenScopes()).toEqual([`${sim.origin}/.default`]);
  });

  it('asks for the configured tokenScope, which a gateway registered as its own resource requires', async () => {
    const sim = await start(GATEWAY_SCOPE);
    expect(sim.validConfig()).toMatchObject({ tokenScope: GATEWAY_SCOPE });
    const check = await connect(sim.validConfig()).testConnection();
    expect(check.message).toMatch(/managed devices are readable/);
    expect(new Set(sim.tokenScopes())).toEqual(new Set([GATEWAY_SCOPE]));
    expect(sim.stats().unauthorized).toBe(0);
  });

  it('without it, the same gateway refuses the Graph-scoped token and the run fails as auth', async () => {
    const sim = await start(GATEWAY_SCOPE);
    const { tokenScope: _, ...withoutScope } = sim.validConfig() as Record<string, unknown>;
    await expect(connect(withoutScope).testConnection()).rejects.toBeInstanceOf(AuthError);
    expect(new Set(sim.tokenScopes())).toEqual(new Set([`${sim.origin}/.default`]));
  });

  it.each([
    ['whitespace only', '   ', /tokenScope: must be a non-empty string/],
    ['a number', 42, /tokenScope: must be a string/],
    ['over 512 characters', `api://${'a'.repeat(510)}/.default`, /tokenScope: must be at most 512 characters/],
    ['two scopes', 'https://graph.microsoft.com/.default offline_access', /tokenScope: must be one scope, without spaces/],
    ['a delegated permission instead of /.default', 'https://graph.microsoft.com/DeviceManagementManagedDevices.Read.All', /tokenScope: must be a resource followed by \/\.default/],
    ['/.default without a resource', '/.default', /tokenScope: must be a resource followed by \/\.default/],
  ])('refuses %s, naming tokenScope', async (_name, tokenScope, message) => {
    const sim = await start();
    let error: unknown;
    try {
      parseConfig(intuneConnector, { ...sim.validConfig(), tokenScope });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('tokenScope');
    expect((error as ConfigError).message).toMatch(message);
  });

  it('accepts the scope spellings Entra takes for client credentials', () => {
    for (const tokenScope of ['https://graph.microsoft.us/.default', '00000003-0000-0000-c000-000000000000/.default', GATEWAY_SCOPE, `api://${'a'.repeat(497)}/.default`]) {
      expect(parseConfig(intuneConnector, { tenantId: 'contoso.onmicrosoft.com', clientId: '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f', clientSecret: 's', tokenScope }).tokenScope).toBe(tokenScope);
    }
  });
});
