// Migrations for mysql, oldest first. scripts/generate-migration.ts appends new ones here.
import { Initial1795426673311 } from './1795426673311-Initial';
export const MYSQL_MIGRATIONS: Function[] = [Initial1795426673311];
