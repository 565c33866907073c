/** Additional authenticated data: binds each ciphertext to its row and column. */
export const seedAad = (deviceId: string) => `mfa.devices:${deviceId}:seed`;
export const phoneAad = (deviceId: string) => `mfa.devices:${deviceId}:phone`;
export const outboxAad = (rowId: string, column: 'phone' | 'body') => `mfa.sms_outbox:${rowId}:${column}`;
/** an SMS delivery job's sealed message, bound to its job id */
export const smsJobAad = (jobId: string) => `sms-delivery:${jobId}`;
