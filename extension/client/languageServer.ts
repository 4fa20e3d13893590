/**
 * Starting, stopping and restarting the language server (dist/server.js) over IPC, and the
 * state the rest of the client reads: whether it runs, and its last index status.
 *
 * Features never hold the LanguageClient themselves: they ask `server.client`, which is
 * undefined while the server is down, so they can say so (see commands.ts).
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { indexStatus, type InitializationOptions, type IndexStatusParams } from '../protocol/lsp';
import { readSettings } from './config';
import { chooseKernelRoot } from './kernelRoot';

/** What the status bar and progress show: the server's own status, or why there is none. */
export type ServerStatus =
  IndexStatusParams | { readonly state: 'stopped'; readonly message?: string };

export class LanguageServer implements vscode.Disposable {
  private _client: LanguageClient | undefined;
  private _status: ServerStatus = { state: 'stopped' };
  private readonly statusEmitter = new vscode.EventEmitter<ServerStatus>();
  /** Fires on every status change, including the server stopping or failing to start. */
  readonly onDidChangeStatus = this.statusEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The running client, or undefined while the server is down. */
  get client(): LanguageClient | undefined {
    return this._client?.isRunning() ? this._client : undefined;
  }

  get status(): ServerStatus {
    return this._status;
  }

  async start(): Promise<void> {
    if (this._client) return;
    const serverModule = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc },
      debug: {
        module: serverModule,
        transport: TransportKind.ipc,
        options: { execArgv: ['--nolazy', '--inspect=6010'] },
      },
    };
    const settings = readSettings();
    const kernelRoot = chooseKernelRoot(this.context, this.log);
    const initializationOptions: InitializationOptions = {
      wasmDir: this.context.asAbsolutePath('dist'),
      queriesDir: this.context.asAbsolutePath('kernel-snippets/queries'),
      ...(kernelRoot ? { kernelRoot } : {}),
      locale: vscode.env.language,
      parseTimeoutMs: settings.parseTimeoutMs,
      profile: settings.profile,
    };
    const clientOptions: LanguageClientOptions = {
      // .c files are "c"; VS Code gives .h files to "cpp", so headers are matched by name.
      documentSelector: [
        { scheme: 'file', language: 'c' },
        { scheme: 'file', pattern: '**/*.h' },
      ],
      outputChannel: this.log,
      initializationOptions,
    };
    const client = new LanguageClient('kernelLens', 'Kernel Lens', serverOptions, clientOptions);
    this._client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) this.setStatus({ state: 'stopped' });
    });
    client.onNotification(indexStatus, (status) => this.setStatus(status));
    this.setStatus({ state: 'starting' });
    this.log.info(
      `starting the language server on ${kernelRoot ? `${kernelRoot.path} (${kernelRoot.source})` : 'no kernel tree'}`,
    );
    try {
      await client.start();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`the language server did not start: ${message}`);
      this._client = undefined;
      this.setStatus({ state: 'stopped', message });
    }
  }

  async stop(): Promise<void> {
    const client = this._client;
    this._client = undefined;
    if (client) await client.dispose();
    this.setStatus({ state: 'stopped' });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  dispose(): void {
    void this.stop();
    this.statusEmitter.dispose();
  }

  private setStatus(status: ServerStatus): void {
    this._status = status;
    this.statusEmitter.fire(status);
  }
}
