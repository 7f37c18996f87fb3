import { TenantScope } from '../access/tenant-scope';
import { Role } from '../entities/enums';

/** Who is making a request, and which tenants they may see. */
export interface Principal {
  kind: 'api-key';
  id: string;
  name: string;
  role: Role;
  scope: TenantScope;
  /** How the principal appears in audit events and logs; never contains a secret. */
  label: string;
}
