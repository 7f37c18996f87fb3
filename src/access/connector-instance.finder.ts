import { ConnectorInstance } from '../entities';
import { Finder, FinderDeps } from './finder';

/** MSP-wide instances (tenantId null) are visible only to principals that see every tenant. */
export class ConnectorInstanceFinder extends Finder<ConnectorInstance> {
  constructor(deps: FinderDeps) {
    super(deps, ConnectorInstance, 'ci', 'tenantId');
  }
}
