/**
 * Who is looking: each connected client's last `presence:update`. A session is watched only while a
 * client that said it is visible also said it shows that session; a hidden client, one showing
 * another session, and one that never reported do not count. A socket that disconnects stops
 * counting at once.
 */
export interface PresenceReport {
  visible: boolean;
  sessionId?: string;
}

export class Presence {
  private readonly bySocket = new Map<string, PresenceReport>();

  update(socketId: string, report: PresenceReport): void {
    this.bySocket.set(socketId, {
      visible: report.visible,
      ...(report.sessionId ? { sessionId: report.sessionId } : {}),
    });
  }

  remove(socketId: string): void {
    this.bySocket.delete(socketId);
  }

  /** True while at least one connected client is visible and showing this session. */
  isWatched(sessionId: string): boolean {
    for (const report of this.bySocket.values()) if (report.visible && report.sessionId === sessionId) return true;
    return false;
  }
}
