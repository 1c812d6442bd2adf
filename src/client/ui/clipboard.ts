/** Copies text; true when the browser took it (the Clipboard API needs a secure context and a user gesture). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
