/**
 * Resolves in a later task, so that what follows runs after the browser has had a chance to handle
 * input and paint. On a phone one long task delays the first tap; several short ones do not.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
