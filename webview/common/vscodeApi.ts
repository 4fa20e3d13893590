/**
 * The one place a webview touches `acquireVsCodeApi()`, which may be called only once per
 * page. Typed by the page's own state and outgoing message types, so `setState` and
 * `postMessage` cannot take something the host or the next load would not understand
 * (the idea of vscode-hexeditor's media/editor/state.ts).
 */

/** What VS Code injects into every webview page (untyped on purpose: we type it below). */
interface RawVsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): RawVsCodeApi;

export interface VsCodeApi<State, Out> {
  postMessage(message: Out): void;
  /** The state saved by the last setState of this panel, even across reloads; else undefined. */
  getState(): State | undefined;
  setState(state: State): void;
}

let acquired: RawVsCodeApi | undefined;

/**
 * The API for a page. `isState` checks what getState returns, since a state saved by an
 * older version of the page may not have the shape this one expects.
 */
export function vscodeApi<State, Out>(
  isState: (value: unknown) => value is State,
): VsCodeApi<State, Out> {
  acquired ??= acquireVsCodeApi();
  const api = acquired;
  return {
    postMessage: (message) => api.postMessage(message),
    getState() {
      const value = api.getState();
      return isState(value) ? value : undefined;
    },
    setState: (state) => api.setState(state),
  };
}

/** Listens to the host's messages; `isMessage` drops anything else posted to the window. */
export function onHostMessage<In>(
  isMessage: (value: unknown) => value is In,
  handler: (message: In) => void,
): void {
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isMessage(event.data)) handler(event.data);
  });
}
