import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ApiKeyStatus } from '../../auth/key-admin';
import { ApiKey } from '../../entities';

registerEnumType(ApiKeyStatus, {
  name: 'ApiKeyStatus',
  description: 'Whether an API key is accepted now',
  valuesConfig: {
    ACTIVE: { description: 'Accepted' },
    EXPIRED: { description: 'Refused: its expiresAt has passed' },
    REVOKED: { description: 'Refused: it was revoked' },
  },
});

@ObjectType({ description: 'A key just issued by createApiKey or rotateApiKey' })
export class IssuedApiKey {
  @Field({ description: 'The key itself, for "Authorization: Bearer <key>". Shown this once: only its SHA-256 is stored, so it cannot be shown again' })
  key: string;

  @Field(() => ApiKey, { description: 'The key\'s record, as apiKeys lists it' })
  apiKey: ApiKey;
}
