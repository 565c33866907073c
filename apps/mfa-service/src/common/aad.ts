/** Additional authenticated data: binds each ciphertext to its row and column. */
export const seedAad = (deviceId: string) => `mfa.devices:${deviceId}:seed`;
export const phoneAad = (deviceId: string) => `mfa.devices:${deviceId}:phone`;
