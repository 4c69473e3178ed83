/** Whether dist/ under `root` was built after every source it was built from. */
export function buildIsCurrent(root: string): boolean;
