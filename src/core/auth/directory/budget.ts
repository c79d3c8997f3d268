// A hard upper bound on one piece of directory work. ldapts's timeouts bound each connection and
// each operation; a login makes several of each, on several servers, so the whole is bounded too:
// when the budget runs out every connection the work opened is closed and the caller gets a
// DirectoryUnavailableError, well before the HTTP server would cut the request.

import type { DirectoryConnection } from './client.js';
import { DirectoryUnavailableError } from './errors.js';

export interface BudgetTracker {
  /** Connections to close when the budget runs out (or the work ends). */
  opened(connection: DirectoryConnection): void;
}

export async function withinBudget<T>(budgetMs: number, what: string, work: (tracker: BudgetTracker) => Promise<T>): Promise<T> {
  const connections: DirectoryConnection[] = [];
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DirectoryUnavailableError(`The directory did not finish ${what} within ${Math.round(budgetMs / 100) / 10} s`, {
            suggestion: 'Try again in a minute. Site IT: run `shopdb ldap test` to see which server is slow or unreachable.',
          }),
        ),
      budgetMs,
    );
  });
  const running = work({ opened: (connection) => connections.push(connection) });
  // Work that loses the race fails later on its closed connections; nobody is waiting for it.
  running.catch(() => {});
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
    await Promise.all(connections.map((connection) => connection.close()));
  }
}
