/** Read a required environment variable set by the stack (or the rehearsal). */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is not set: the function is misconfigured`);
  }
  return value;
}
