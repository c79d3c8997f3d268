// A MySQL-compatible cluster (MariaDB Galera; MySQL group replication) as a known state rather
// than an unexpected error. A node that has left its cluster's primary component still answers
// `select 1` but refuses real work: what it answers is "the database is unavailable" (HTTP 503,
// exit 3), and readiness asks the node itself whether it is synced (ADR-014).

import type { Knex } from 'knex';

const CLUSTER_UNAVAILABLE_ERRNOS = new Map<number, string>([
  // ER_UNKNOWN_COM_ERROR: Galera's "WSREP has not yet prepared node for application use".
  [1047, "the database node is not ready for work (it is not part of its cluster's primary component, or still joining)"],
  // ER_ERROR_DURING_COMMIT: on Galera, a commit on a node that lost the primary component.
  [1180, "the database node could not commit (it is not connected to its cluster's primary component)"],
  // ER_OPTION_PREVENTS_STATEMENT: a read-only member (group replication secondary, super_read_only).
  [1290, 'the database node is read-only (a secondary of its cluster, or super_read_only)'],
]);

/** Why `error` (or what it wraps) means this cluster node cannot serve now, or null for any other error. */
export function clusterUnavailableReason(error: unknown): string | null {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const errno = (current as { errno?: unknown }).errno;
    if (typeof errno === 'number' && CLUSTER_UNAVAILABLE_ERRNOS.has(errno)) {
      const message = (current as { sqlMessage?: unknown; message?: unknown }).sqlMessage ?? (current as { message?: unknown }).message;
      return `${CLUSTER_UNAVAILABLE_ERRNOS.get(errno)!}: ${String(message ?? `errno ${errno}`)}`;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

export interface ClusterNodeState {
  /** A Galera node (wsrep_on=ON); false for a plain server. */
  galera: boolean;
  /** Whether the node takes reads and writes now. */
  ready: boolean;
  /** wsrep_node_name, e.g. the host name. */
  nodeName: string | null;
  /** wsrep_local_state_comment: Synced, Donor/Desynced, Joining, Joined, Initialized… */
  state: string | null;
  /** wsrep_cluster_status: Primary, non-Primary, Disconnected. */
  clusterStatus: string | null;
  clusterSize: number | null;
  /** wsrep_flow_control_paused: the fraction of time replication was paused by flow control. */
  flowControlPaused: number | null;
  /** What is wrong, when not ready. */
  reason: string | null;
}

const PLAIN_SERVER: ClusterNodeState = {
  galera: false,
  ready: true,
  nodeName: null,
  state: null,
  clusterStatus: null,
  clusterSize: null,
  flowControlPaused: null,
  reason: null,
};

/** Runs one SQL statement and gives its rows, over whatever transport the caller has. */
export type ReadRows = (sql: string) => Promise<Array<Record<string, string | number | null | undefined>>>;

const knexRows =
  (db: Knex | Knex.Transaction): ReadRows =>
  async (sql) =>
    ((await db.raw(sql)) as [Array<Record<string, string | null>>, unknown])[0];

function byName(rows: Awaited<ReturnType<ReadRows>>): Map<string, string> {
  return new Map(
    rows.map((row) => [String(row.Variable_name ?? row.variable_name ?? '').toLowerCase(), String(row.Value ?? row.value ?? '')]),
  );
}

/**
 * Asks a MySQL/MariaDB node where it stands in its cluster: two statements, both answered even
 * by a node that has lost quorum (SHOW needs no primary component). MySQL and a MariaDB without
 * a cluster have wsrep_on absent or OFF and are simply ready.
 */
export async function clusterNodeStateVia(read: ReadRows): Promise<ClusterNodeState> {
  const variables = byName(await read("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_node_name')"));
  if ((variables.get('wsrep_on') ?? 'OFF').toUpperCase() !== 'ON') return PLAIN_SERVER;
  const status = byName(
    await read(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_connected', 'wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_flow_control_paused')",
    ),
  );
  const state = status.get('wsrep_local_state_comment') ?? null;
  const clusterStatus = status.get('wsrep_cluster_status') ?? null;
  const size = Number(status.get('wsrep_cluster_size'));
  const paused = Number(status.get('wsrep_flow_control_paused'));
  let reason: string | null = null;
  if (status.get('wsrep_connected') !== 'ON') reason = 'the database node is not connected to its cluster (wsrep_connected=OFF)';
  else if (clusterStatus !== 'Primary')
    reason = `the database node is not part of its cluster's primary component (wsrep_cluster_status=${clusterStatus ?? 'unknown'}: it lost quorum)`;
  else if (status.get('wsrep_ready') !== 'ON')
    reason = `the database node is not ready for work (wsrep_ready=OFF, state ${state ?? 'unknown'})`;
  else if (state !== 'Synced') reason = `the database node is not synced with its cluster (state ${state ?? 'unknown'})`;
  return {
    galera: true,
    ready: reason === null,
    nodeName: variables.get('wsrep_node_name') || null,
    state,
    clusterStatus,
    clusterSize: Number.isFinite(size) ? size : null,
    flowControlPaused: Number.isFinite(paused) ? paused : null,
    reason,
  };
}

/** The same, over a knex pool (SQLite is never a cluster). */
export async function readClusterNodeState(db: Knex | Knex.Transaction): Promise<ClusterNodeState> {
  if (db.client.config.client === 'better-sqlite3') return PLAIN_SERVER;
  return clusterNodeStateVia(knexRows(db));
}
