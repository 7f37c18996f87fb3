/** `migrate --check` exits with this when migrations are pending; 0 means none, 1 an error (as every command). */
export const PENDING_EXIT_CODE = 10;
