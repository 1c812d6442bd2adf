import { LOCAL_MACHINE_ID } from "../../shared/messages.ts";
import type { SessionService } from "../sessions/sessionService.ts";
import { SEARCH_LIMIT } from "../sessions/store.ts";
import type { MachineService } from "./machineService.ts";

/** A search hit with what ranks it among several machines' hits. */
export interface RankedHit {
  sessionId: string;
  snippet?: string;
  machineId: string;
  /** The session's `updatedAt`: among hits of one kind, the most recent first. */
  updatedAt: string;
}

/**
 * One result list from this server's hits and the mirrored machines' (decision 064), ranked as
 * each server ranks its own: every title match before any message match, the most recently
 * updated first within each, at most SEARCH_LIMIT.
 */
export function mergeSearches(...lists: RankedHit[][]): { sessionId: string; snippet?: string; machineId: string }[] {
  const hits = lists.flat();
  const recent = (a: RankedHit, b: RankedHit) => b.updatedAt.localeCompare(a.updatedAt);
  const titles = hits.filter((h) => h.snippet === undefined).sort(recent);
  const messages = hits.filter((h) => h.snippet !== undefined).sort(recent);
  return [...titles, ...messages].slice(0, SEARCH_LIMIT).map(({ updatedAt: _updatedAt, ...hit }) => hit);
}

/** This server's own search and the mirror's, as one answer (decision 064). */
export function searchEverywhere(
  query: string,
  sessions: Pick<SessionService, "search" | "get">,
  machines: Pick<MachineService, "search">,
): { sessionId: string; snippet?: string; machineId: string }[] {
  const local = sessions
    .search(query)
    .map((hit) => ({ ...hit, machineId: LOCAL_MACHINE_ID, updatedAt: sessions.get(hit.sessionId).updatedAt }));
  return mergeSearches(local, machines.search(query));
}
