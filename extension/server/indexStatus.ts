/**
 * The server's half of `kernelLens/indexStatus`: holds the current status, tells the client
 * when it changes, and answers `kernelLens/getIndexStatus` for a client that asks.
 */
import type { Connection } from 'vscode-languageserver/node';
import { getIndexStatus, indexStatus, type IndexStatusParams } from '../protocol/lsp';

export class IndexStatusReporter {
  private status: IndexStatusParams = { state: 'starting' };
  /** Notifications may only go out once the client has seen the initialize result. */
  private live = false;

  constructor(private readonly connection: Connection) {
    connection.onRequest(getIndexStatus, () => this.status);
  }

  get current(): IndexStatusParams {
    return this.status;
  }

  /** Replaces the status and tells the client (after `initialized`). */
  set(status: IndexStatusParams): void {
    this.status = status;
    if (status.message) this.connection.console.log(`[index] ${status.state}: ${status.message}`);
    if (this.live) void this.connection.sendNotification(indexStatus, status);
  }

  /** Called on `initialized`: from now on, every change is sent; the current one at once. */
  goLive(): void {
    this.live = true;
    void this.connection.sendNotification(indexStatus, this.status);
  }
}
