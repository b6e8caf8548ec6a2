/**
 * Lazily created AWS clients, one per service and per process.
 *
 * Each handler imports only the getters it uses, so a bundle carries only
 * the SDK clients its function calls (one ECS client is ~0.5 MB minified).
 * Clients are created on first use, which also lets the local rehearsal
 * install its simulation before any client exists.
 */
export function lazyClient<T>(create: () => T): () => T {
  let client: T | undefined;
  return function getClient(): T {
    client ??= create();
    return client;
  };
}
