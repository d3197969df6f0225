import { lchownSync, symlinkSync } from 'node:fs';

/** A user that is not us: `nobody` when we are root, root when we are not. */
export const OTHER_UID = process.getuid?.() === 0 ? 65534 : 0;

/**
 * Plants at `path` a symbolic link to `target` owned by another user, as an attacker sharing
 * the folder would. Only root can give a link away: as another user, the link is one that
 * root owns already (/dev/stdin), and `path` is not created; the path to use is returned.
 */
export function plantForeignSymlink(path: string, target: string): string {
  if (process.getuid?.() !== 0) return '/dev/stdin';
  symlinkSync(target, path);
  lchownSync(path, OTHER_UID, OTHER_UID);
  return path;
}
