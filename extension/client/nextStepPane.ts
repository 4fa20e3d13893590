/**
 * The second source editor beside the simulator (kernelLens.simulator.nextStepEditor): an
 * editor group below the one the steps are shown in, where the next step's line waits, marked
 * faintly, while the reader reads the current one.
 *
 * Why a second editor: a step into another file makes VS Code switch the editor's file, and
 * that alone takes as long as switching tabs by hand (130-150 ms in code-server here, with or
 * without this extension). A file already on screen costs a decoration change (about 30 ms).
 * With the next step's file opened while the reader reads, every forward step is the cheap
 * kind; the switch still happens, but before the key is pressed, not after it.
 *
 * The pane belongs to the user once made: if they close it (or move the groups so that it is
 * no longer beside the source), the simulator stops using it and does not make it again until
 * the panel is opened anew.
 */
import * as vscode from 'vscode';

const SETTING = 'simulator.nextStepEditor';

export class NextStepPane {
  /** The pane's column, while it is there. */
  private column: vscode.ViewColumn | undefined;
  /** The user closed the pane (or moved it away): not made again for this panel. */
  private dismissed = false;

  /** Whether the setting asks for the pane (read on each step: a change applies at once). */
  static wanted(): boolean {
    return vscode.workspace.getConfiguration('kernelLens').get<boolean>(SETTING, false);
  }

  /**
   * Turns the setting on or off (the simulator page's check box), where it takes effect: in
   * the workspace's settings if they set it, else in the user's.
   */
  static async set(on: boolean): Promise<void> {
    const config = vscode.workspace.getConfiguration('kernelLens');
    const inWorkspace = config.inspect<boolean>(SETTING)?.workspaceValue !== undefined;
    await config.update(
      SETTING,
      on,
      inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
    );
  }

  /** Whether a configuration change is this setting's. */
  static changedIn(e: vscode.ConfigurationChangeEvent): boolean {
    return e.affectsConfiguration(`kernelLens.${SETTING}`);
  }

  /**
   * The pane's column, if it is still on screen and is neither the source's column (`main`)
   * nor the simulator's.
   */
  columnBeside(
    main: vscode.ViewColumn,
    panel: vscode.ViewColumn | undefined,
  ): vscode.ViewColumn | undefined {
    const column = this.column;
    if (column === undefined) return undefined;
    const there = vscode.window.tabGroups.all.some((g) => g.viewColumn === column);
    if (!there || column === main || column === panel) {
      this.column = undefined;
      this.dismissed = true;
      return undefined;
    }
    return column;
  }

  /**
   * The setting was turned off: the pane goes, and the layout is the user's again (the pane is
   * made anew if the setting comes back on).
   */
  async close(main: vscode.ViewColumn, panel: vscode.ViewColumn | undefined): Promise<void> {
    const column = this.columnBeside(main, panel);
    this.column = undefined;
    this.dismissed = false;
    const group = vscode.window.tabGroups.all.find((g) => g.viewColumn === column);
    if (group) await vscode.window.tabGroups.close(group, true);
  }

  /**
   * Makes the pane below the editor in `main` and opens `uri` in it, at `line` (0-based).
   * VS Code makes a group below only the active one, so the source editor is focused for the
   * moment it takes; `restoreFocus` then gives the focus back to where the reader was.
   * Resolves with the pane's column, or undefined when the pane cannot or should not be made.
   */
  async make(
    main: vscode.ViewColumn,
    uri: vscode.Uri,
    line: number,
    restoreFocus: () => void,
  ): Promise<vscode.ViewColumn | undefined> {
    if (this.dismissed || this.column !== undefined) return this.column;
    const source = vscode.window.visibleTextEditors.find((e) => e.viewColumn === main);
    if (!source) return undefined;
    // Tried once per panel, whether it works or not: no focus dance on every step.
    this.dismissed = true;
    const groups = vscode.window.tabGroups;
    const before = groups.all.length;
    let focusBack = false;
    const giveFocusBack = (): void => {
      if (!focusBack) restoreFocus();
      focusBack = true;
    };
    try {
      await vscode.window.showTextDocument(source.document, {
        viewColumn: main,
        preserveFocus: false,
      });
      if (groups.activeTabGroup.viewColumn !== main) return undefined;
      await vscode.commands.executeCommand('workbench.action.newGroupBelow');
      const pane = groups.activeTabGroup.viewColumn;
      if (groups.all.length !== before + 1 || pane === main) return undefined;
      // The focus goes back before the file opens: keys pressed meanwhile reach the reader's
      // editor or page, not the new group.
      giveFocusBack();
      const editor = await vscode.window.showTextDocument(uri, {
        viewColumn: pane,
        preserveFocus: true,
        preview: true,
        selection: new vscode.Range(line, 0, line, 0),
      });
      if (editor.viewColumn === undefined || editor.viewColumn === main) return undefined;
      this.column = editor.viewColumn;
      this.dismissed = false;
      return this.column;
    } finally {
      giveFocusBack();
    }
  }
}
