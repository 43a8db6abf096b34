/**
 * Which file a dataset command acts on when it is run without an argument (palette, keybinding).
 * `window.activeTextEditor` is not always the file the user sees: a file opened by a single click
 * in the Explorer may sit in a tab with no text editor (a preview of a large, gzip or binary file,
 * an image in VS Code's image viewer), and the active text editor can be the Output panel's.
 * So a `file:` text editor first, then the active tab's file, whatever opened it. Pure: the
 * caller passes what VS Code says (no vscode import, so it is unit-tested as it is).
 */

/** What a command needs of a URI (vscode.Uri has both). */
export interface UriLike {
  readonly scheme: string;
  toString(): string;
}

/**
 * The file a tab shows: `uri` of a text, custom-editor or notebook input, the modified side of a
 * diff; undefined for tabs without one (settings, webviews, terminals).
 */
export function tabInputUri<U extends UriLike>(input: unknown): U | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { uri, modified } = input as { uri?: unknown; modified?: unknown };
  const candidate = uri ?? modified;
  return isUriLike(candidate) ? (candidate as U) : undefined;
}

function isUriLike(v: unknown): v is UriLike {
  return typeof v === 'object' && v !== null && typeof (v as UriLike).scheme === 'string';
}

/** The command's target: a `file:` active editor, else the active tab's `file:`, else the active editor's document. */
export function defaultTarget<U extends UriLike>(activeEditorUri: U | undefined, activeTabInput: unknown): U | undefined {
  if (activeEditorUri?.scheme === 'file') return activeEditorUri;
  const tab = tabInputUri<U>(activeTabInput);
  if (tab?.scheme === 'file') return tab;
  return activeEditorUri ?? tab;
}
