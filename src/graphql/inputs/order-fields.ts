import { registerEnumType } from 'type-graphql';

export enum AssetOrderField {
  HOSTNAME = 'HOSTNAME',
  LAST_SEEN_AT = 'LAST_SEEN_AT',
  CREATED_AT = 'CREATED_AT',
}

export enum UpdateOrderField {
  RELEASED_AT = 'RELEASED_AT',
  TITLE = 'TITLE',
}

export enum PatchStateOrderField {
  CHANGED_AT = 'CHANGED_AT',
  OBSERVED_AT = 'OBSERVED_AT',
}

registerEnumType(AssetOrderField, { name: 'AssetOrderField', description: 'Fields assets can be ordered by' });
registerEnumType(UpdateOrderField, { name: 'UpdateOrderField', description: 'Fields updates can be ordered by' });
registerEnumType(PatchStateOrderField, { name: 'PatchStateOrderField', description: 'Fields patch states can be ordered by' });
